// The demo shop: sign in -> product list (loads more as it scrolls) -> product -> cart.
// What makes real UI tests flaky, switched on by query parameters of the start URL:
//   overlay=T     a loading overlay intercepts clicks for the first T ms after a page load
//   list_delay=T  the product list is fetched T ms after the list is shown (default 200)
//   toast=T       on a product's page a toast covers "Add to cart" for T ms
//   page_size=N   products per page of the list (default 8; the next page loads on scroll)
// The signed-in user and the cart live in localStorage (clearing the app's data signs
// out: "Welcome back" vs the sign-in form); sessionStorage counts this tab's page loads
// (a restart really reloads the page). Each page is a history entry (#list-page, …:
// the browser's back goes to the page before; a link to #cart-page opens the cart),
// and the footer tells the last gesture (tap, double tap, long press: on which
// element), the last key and the focused field (what the flow's actions did).
'use strict';

const params = new URLSearchParams(location.search);
const ms = (name, fallback) => Math.max(0, parseInt(params.get(name) || fallback, 10) || 0);
const OVERLAY_MS = ms('overlay', 0);
const LIST_DELAY_MS = ms('list_delay', 200);
const TOAST_MS = ms('toast', 0);
const PAGE_SIZE = Math.max(1, ms('page_size', 8));
const USER_KEY = 'demo-shop.user';
const CART_KEY = 'demo-shop.cart';
const LOADS_KEY = 'demo-shop.loads';

const $ = (id) => document.getElementById(id);
const pages = ['sign-in-page', 'list-page', 'product-page', 'cart-page'];
let products = [];
let shown = 0;
let toastTimer = null;

function show(page, {fromHistory = false} = {}) {
  for (const id of pages) {
    $(id).hidden = id !== page;
  }
  window.scrollTo(0, 0);
  if (!fromHistory && location.hash !== `#${page}`) {
    const first = !history.state;
    history[first ? 'replaceState' : 'pushState']({page}, '', `#${page}`);
  }
}

window.addEventListener('popstate', (event) => {
  const page = (event.state && event.state.page) || location.hash.slice(1);
  if (page === 'cart-page' && !(event.state && event.state.page)) {
    openCart(); // a link to the cart (#cart-page) on the open page
  } else if (pages.includes(page)) {
    show(page, {fromHistory: true});
  }
});

function cart() {
  try {
    return JSON.parse(localStorage.getItem(CART_KEY) || '[]');
  } catch (e) {
    return [];
  }
}

function setCart(items) {
  localStorage.setItem(CART_KEY, JSON.stringify(items));
  $('cart-count').textContent = String(items.length);
}

function toast(text, forMs) {
  const el = $('toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, forMs);
}

// --- sign in -------------------------------------------------------------------
function formValid() {
  return $('username').value.trim() !== '' && $('password').value !== '';
}

for (const id of ['username', 'password']) {
  $(id).addEventListener('input', () => { $('sign-in').disabled = !formValid(); });
}

$('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  if (!formValid()) {
    return;
  }
  const user = $('username').value.trim();
  localStorage.setItem(USER_KEY, user);
  openList(`Welcome, ${user}`);
});

// --- the list --------------------------------------------------------------------
function item(product) {
  const li = document.createElement('li');
  const button = document.createElement('button');
  button.type = 'button';
  button.id = `product-${product.id}`;
  button.setAttribute('aria-label', product.name);
  button.innerHTML = `<span class="swatch" style="background:${product.colour}"></span>` +
    `<span><strong></strong><br><span class="muted"></span></span>`;
  button.querySelector('strong').textContent = product.name;
  button.querySelector('.muted').textContent = `$${product.price.toFixed(2)}`;
  button.addEventListener('click', () => openProduct(product));
  li.appendChild(button);
  return li;
}

function showMore() {
  const next = products.slice(shown, shown + PAGE_SIZE);
  for (const product of next) {
    $('products').appendChild(item(product));
  }
  shown += next.length;
  $('list-end').textContent = shown < products.length ? 'Scroll for more' : 'That is all';
}

function openList(welcome) {
  $('welcome').textContent = welcome;
  show('list-page');
  if (products.length) {
    return;
  }
  $('list-status').hidden = false;
  setTimeout(async () => {
    const answer = await fetch('products.json');
    products = await answer.json();
    $('list-status').hidden = true;
    showMore();
    new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && shown < products.length) {
        showMore();
      }
    }).observe($('list-end'));
  }, LIST_DELAY_MS);
}

// --- a product and the cart ------------------------------------------------------
let current = null;

function openProduct(product) {
  current = product;
  $('product-name').textContent = product.name;
  $('product-price').textContent = `$${product.price.toFixed(2)}`;
  $('product-picture').style.background = product.colour;
  show('product-page');
  if (TOAST_MS) {
    toast('Free delivery on orders over $50!', TOAST_MS);
  }
}

$('add-to-cart').addEventListener('click', () => {
  setCart([...cart(), current]);
  toast(`${current.name} added`, 1200);
});

$('back').addEventListener('click', () => show('list-page'));
$('cart-back').addEventListener('click', () => show('list-page'));

$('cart').addEventListener('click', openCart);

function openCart() {
  const items = cart();
  $('cart-items').replaceChildren(...items.map((p) => {
    const li = document.createElement('li');
    li.textContent = `${p.name} — $${p.price.toFixed(2)}`;
    return li;
  }));
  const total = items.reduce((sum, p) => sum + p.price, 0);
  $('cart-total').textContent = `Total: $${total.toFixed(2)}`;
  show('cart-page');
}

$('sign-out').addEventListener('click', () => {
  localStorage.removeItem(USER_KEY);
  show('sign-in-page');
});

// --- what the flow did: gestures, keys, the focus ----------------------------------
const LONG_PRESS_MS = 500;
const DOUBLE_TAP_MS = 300;
let pressed = null;
let lastTap = null;

function named(el) {
  const own = el && el.closest ? el.closest('[id]') : null;
  return own ? own.id : 'page';
}

document.addEventListener('pointerdown', (event) => {
  pressed = {at: Date.now(), target: named(event.target)};
});
document.addEventListener('pointerup', (event) => {
  if (!pressed) {
    return;
  }
  const now = Date.now();
  let gesture = 'tap';
  if (now - pressed.at >= LONG_PRESS_MS) {
    gesture = 'long press';
  } else if (lastTap && lastTap.target === pressed.target && now - lastTap.at < DOUBLE_TAP_MS) {
    gesture = 'double tap';
  }
  $('gesture').textContent = `${gesture} on ${pressed.target}`;
  lastTap = gesture === 'tap' ? {at: now, target: pressed.target} : null;
  pressed = null;
});
document.addEventListener('keydown', (event) => {
  $('last-key').textContent = event.key;
});
document.addEventListener('focusin', (event) => { $('focused').textContent = named(event.target); });
document.addEventListener('focusout', () => { $('focused').textContent = 'none'; });

// --- a page load -----------------------------------------------------------------
const loads = parseInt(sessionStorage.getItem(LOADS_KEY) || '0', 10) + 1;
sessionStorage.setItem(LOADS_KEY, String(loads));
$('loads').textContent = String(loads);
$('cart-count').textContent = String(cart().length);

if (OVERLAY_MS) {
  $('loading').hidden = false;
  setTimeout(() => { $('loading').hidden = true; }, OVERLAY_MS);
}

const user = localStorage.getItem(USER_KEY);
if (!user) {
  show('sign-in-page');
} else if (location.hash === '#cart-page') {
  openList(`Welcome back, ${user}`);
  openCart();
} else {
  openList(`Welcome back, ${user}`);
}
