// The demo shop: sign in -> product list (loads more as it scrolls) -> product -> cart.
// What makes real UI tests flaky, switched on by query parameters of the start URL:
//   overlay=T     a loading overlay intercepts clicks for the first T ms after a page load
//   list_delay=T  the product list is fetched T ms after the list is shown (default 200)
//   toast=T       on a product's page a toast covers "Add to cart" for T ms
//   page_size=N   products per page of the list (default 8; the next page loads on scroll)
// The signed-in user and the cart live in localStorage (clearing the app's data signs
// out: "Welcome back" vs the sign-in form); sessionStorage counts this tab's page loads
// (a restart really reloads the page).
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

function show(page) {
  for (const id of pages) {
    $(id).hidden = id !== page;
  }
  window.scrollTo(0, 0);
}

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

$('cart').addEventListener('click', () => {
  const items = cart();
  $('cart-items').replaceChildren(...items.map((p) => {
    const li = document.createElement('li');
    li.textContent = `${p.name} — $${p.price.toFixed(2)}`;
    return li;
  }));
  const total = items.reduce((sum, p) => sum + p.price, 0);
  $('cart-total').textContent = `Total: $${total.toFixed(2)}`;
  show('cart-page');
});

$('sign-out').addEventListener('click', () => {
  localStorage.removeItem(USER_KEY);
  show('sign-in-page');
});

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
if (user) {
  openList(`Welcome back, ${user}`);
} else {
  show('sign-in-page');
}
