// The run page's video: a step's "▶ at 0:12" link seeks the player to the step and
// plays it; a link to the page ending in #t=12.3 (the HTML report's) opens it there.
(function () {
  'use strict';
  function seek(seconds) {
    var video = document.getElementById('pb-video');
    if (!video || isNaN(seconds)) return;
    video.scrollIntoView({block: 'center'});
    video.currentTime = seconds;
    var playing = video.play();
    if (playing && playing.catch) playing.catch(function () {});
  }
  document.addEventListener('click', function (event) {
    var link = event.target.closest ? event.target.closest('.pb-seek') : null;
    if (!link) return;
    event.preventDefault();
    seek(parseFloat(link.getAttribute('data-seek')));
    history.replaceState(null, '', '#t=' + link.getAttribute('data-seek'));
  });
  function fromHash() {
    var found = /^#t=([0-9.]+)$/.exec(window.location.hash);
    if (found) seek(parseFloat(found[1]));
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', fromHash);
  } else {
    fromHash();
  }
})();
