// The foobar board. Plain ES module, no build step. User text only ever goes through textContent.

const PAGE_SIZE = 20;
const RETRY_DELAY_MS = 400;

const $ = (id) => document.getElementById(id);
const form = $('post-form');
const authorInput = $('author');
const textInput = $('text');
const postButton = $('post-button');
const formStatus = $('form-status');
const list = $('messages');
const boardStatus = $('board-status');
const loadMore = $('load-more');
const pathList = $('request-path');

let nextBefore = null;
// A post that failed without a clear answer keeps its key: sending the same text again can't make a duplicate.
let pendingPost = null;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs a secure context (https or localhost); getRandomValues works everywhere.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One API call. A network error or a 502/503 (a web or app server failing over) is retried once; a POST
 * carries an Idempotency-Key, the same on the retry, so the app tier stores it at most once.
 */
async function api(method, url, { body, idempotencyKey } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method === 'POST') headers['Idempotency-Key'] = idempotencyKey ?? newIdempotencyKey();
  const init = { method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) };

  for (let attempt = 1; ; attempt++) {
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      if (attempt < 2) { await sleep(RETRY_DELAY_MS); continue; }
      showPathError('network error');
      throw error;
    }
    if ((response.status === 502 || response.status === 503) && attempt < 2) {
      await sleep(RETRY_DELAY_MS);
      continue;
    }
    showPath(response);
    return response;
  }
}

async function readJson(response) {
  const type = response.headers.get('content-type') || '';
  if (!type.includes('json')) return null;
  try { return await response.json(); } catch { return null; }
}

// ---- The request path: Via lists the proxies a response passed through, nearest first (RFC 9110 7.6.3).

function hopsFrom(response) {
  const via = response.headers.get('via') || '';
  const proxies = via.split(',')
    .map((part) => part.trim().split(/\s+/)[1])
    .filter(Boolean)
    .reverse();
  const servedBy = response.headers.get('x-served-by');
  const hops = [...proxies];
  if (servedBy && !hops.includes(servedBy)) hops.push(servedBy);
  // Every /api/messages answer from an app server (anything but a 5xx from a proxy) came through the database.
  const fromAppTier = servedBy && !proxies.includes(servedBy) && response.status < 500;
  if (fromAppTier) hops.push('PostgreSQL');
  return hops;
}

function showPath(response) {
  const hops = hopsFrom(response);
  pathList.replaceChildren(...hops.map((name) => el('li', 'hop', name)));
  if (!response.ok) pathList.append(el('li', 'hop hop-error', String(response.status)));
}

function showPathError(what) {
  pathList.replaceChildren(el('li', 'hop hop-error', what));
}

// ---- Messages

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

function ago(iso) {
  const seconds = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  const units = [['day', 86400], ['hour', 3600], ['minute', 60]];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return 'just now';
}

function setLikes(button, likes) {
  button.textContent = `♥ ${likes}`;
  button.setAttribute('aria-label', `Like (${likes} ${likes === 1 ? 'like' : 'likes'})`);
  button.dataset.likes = String(likes);
}

function renderMessage(message, fresh = false) {
  const item = el('li', fresh ? 'message fresh' : 'message');
  item.dataset.id = String(message.id);

  const head = el('div', 'message-head');
  head.append(el('span', 'message-author', message.author));
  const time = el('time', 'message-time', ago(message.createdAt));
  time.dateTime = message.createdAt;
  time.title = new Date(message.createdAt).toLocaleString();
  head.append(time);

  const foot = el('div', 'message-foot');
  foot.append(el('span', 'message-origin', `written by ${message.createdBy}`));
  const like = el('button', 'like');
  like.type = 'button';
  setLikes(like, message.likes);
  like.addEventListener('click', () => likeMessage(message.id, like));
  foot.append(like);

  item.append(head, el('p', 'message-text', message.text), foot);
  return item;
}

function setBoardStatus(text, isError = false) {
  boardStatus.textContent = text;
  boardStatus.classList.toggle('error', isError);
}

async function loadPage({ append }) {
  const url = new URL('/api/messages', location.origin);
  url.searchParams.set('limit', String(PAGE_SIZE));
  if (append && nextBefore !== null) url.searchParams.set('before', String(nextBefore));
  loadMore.disabled = true;
  try {
    const response = await api('GET', url.pathname + url.search);
    const body = await readJson(response);
    if (!response.ok || !body) {
      setBoardStatus(describeFailure(response, body, 'load messages'), true);
      return;
    }
    const items = body.items.map((m) => renderMessage(m));
    if (append) list.append(...items); else list.replaceChildren(...items);
    nextBefore = body.nextBefore ?? null;
    loadMore.hidden = nextBefore === null;
    setBoardStatus(list.children.length === 0 ? 'No messages yet. Be the first.' : '');
  } catch {
    setBoardStatus('Could not reach the server. Check your connection and refresh.', true);
  } finally {
    loadMore.disabled = false;
  }
}

async function likeMessage(id, button) {
  button.disabled = true;
  try {
    const response = await api('POST', `/api/messages/${encodeURIComponent(id)}/likes`);
    const body = await readJson(response);
    if (response.ok && body) {
      setLikes(button, body.likes);
      button.classList.add('liked');
    } else {
      setBoardStatus(describeFailure(response, body, 'like that message'), true);
    }
  } catch {
    setBoardStatus('Could not reach the server to like that message.', true);
  } finally {
    button.disabled = false;
  }
}

function describeFailure(response, problem, action) {
  const title = problem && (problem.title || problem.detail);
  return `Could not ${action} (${response.status}${title ? `: ${title}` : ''}).`;
}

// ---- Posting

const fieldInputs = { author: authorInput, text: textInput };

function clearErrors() {
  for (const [name, input] of Object.entries(fieldInputs)) {
    const error = $(`${name}-error`);
    error.textContent = '';
    error.hidden = true;
    input.removeAttribute('aria-invalid');
  }
  setFormStatus('');
}

function showFieldErrors(errors) {
  const general = [];
  let first = null;
  for (const [key, messages] of Object.entries(errors || {})) {
    const name = key.toLowerCase();
    const text = [].concat(messages).join(' ');
    if (fieldInputs[name]) {
      const error = $(`${name}-error`);
      error.textContent = text;
      error.hidden = false;
      fieldInputs[name].setAttribute('aria-invalid', 'true');
      first ??= fieldInputs[name];
    } else {
      general.push(text);
    }
  }
  setFormStatus(general.length ? general.join(' ') : 'Please fix the highlighted fields.', 'error');
  first?.focus();
}

function setFormStatus(text, kind) {
  formStatus.textContent = text;
  formStatus.className = kind ? `form-status ${kind}` : 'form-status';
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors();
  const post = { author: authorInput.value, text: textInput.value };
  const same = pendingPost && pendingPost.author === post.author && pendingPost.text === post.text;
  pendingPost = same ? pendingPost : { ...post, key: newIdempotencyKey() };

  postButton.disabled = true;
  setFormStatus('Posting…');
  try {
    const response = await api('POST', '/api/messages', { body: post, idempotencyKey: pendingPost.key });
    const body = await readJson(response);
    if (response.status === 201 && body) {
      pendingPost = null;
      localStorage.setItem('foobar.author', post.author.trim());
      textInput.value = '';
      list.querySelector(`[data-id="${body.id}"]`)?.remove();
      list.prepend(renderMessage(body, true));
      setBoardStatus('');
      setFormStatus('Posted.', 'ok');
    } else if (response.status === 400 && body) {
      pendingPost = null;
      showFieldErrors(body.errors);
    } else {
      if (response.status < 500) pendingPost = null;
      setFormStatus(describeFailure(response, body, 'post'), 'error');
    }
  } catch {
    setFormStatus('Could not reach the server. Your message was not confirmed; posting it again will not duplicate it.', 'error');
  } finally {
    postButton.disabled = false;
  }
});

loadMore.addEventListener('click', () => loadPage({ append: true }));
$('refresh').addEventListener('click', () => loadPage({ append: false }));

authorInput.value = localStorage.getItem('foobar.author') || '';
loadPage({ append: false });
