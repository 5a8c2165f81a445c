/* inbound staff console: the queue, one ticket, replies and notes, over the JSON API.
 *
 * Over 300 lines: the desk itself (session, address, queue, ticket, composer) shares one
 * state and one render; every feature that can stand apart already lives in its own file
 * (triage.js, replies.js, sla.js, ...) and gets that state through InboundX(desk).
 *
 * Rules this file keeps:
 *  - Data from the API (subjects, names, filenames, bodies) only ever reaches the page
 *    as text (textContent, attribute values); never through innerHTML.
 *  - Mail HTML (already sanitised by the server) is shown only inside
 *    <iframe sandbox=""> documents (no scripts, opaque origin) whose own Content
 *    Security Policy blocks every load but data: and inline images until the agent
 *    asks for remote images.
 *  - The token lives in sessionStorage and goes only to this origin. Other tabs of this
 *    console get it from a signed-in tab over a BroadcastChannel (see `shareSession`).
 *  - Every ticket and view has its own address (?mailbox=&view=&q=&ticket=, the history
 *    API): a reload keeps the ticket open, back and forward work, a link can be pasted.
 *  - Drafts are kept per agent and ticket in localStorage until sent (see `keepDraft`).
 */
'use strict';

(() => {
  const BASE = new URL('.', document.currentScript.src);
  const SESSION_KEY = 'inbound.console.session';
  const MAILBOX_KEY = 'inbound.console.mailbox';
  const DRAFT_PREFIX = 'inbound.console.draft:';
  const DRAFT_DAYS_MS = 14 * 86400 * 1000;
  const POLL_MS = 15000;
  const REFRESH_MARGIN_MS = 60000;
  const LINK_MARGIN_MS = 30000; // attachment links are fetched again this long before they expire
  const VIEWS = [
    { key: 'working', statuses: 'new,open' },
    // Mine: the agent's own tickets still to work on, in every mailbox.
    { key: 'mine', statuses: 'new,open,pending', assignee: 'me' },
    { key: 'new', statuses: 'new' },
    { key: 'open', statuses: 'open' },
    { key: 'pending', statuses: 'pending' },
    { key: 'solved', statuses: 'solved' },
    { key: 'closed', statuses: 'closed' },
    { key: 'suspended', suspended: true }, // automatic mail suspended for review (triage.js)
  ];
  const SIGNALS = ['new', 'token', 'references', 'subject']; // how a mail joined its ticket: signal.*
  const KINDS = ['customer', 'staff', 'note', 'auto_reply', 'acknowledgement', 'report']; // kind.*
  const VERDICTS = ['FAIL', 'GRAY', 'PROCESSING_FAILED', 'NONE', 'DISABLED']; // SES's verdicts: verdict.*
  const STATUS_ACTIONS = [
    { status: 'pending', key: 'p' },
    { status: 'solved', key: 's' },
    { status: 'closed', key: 'c' },
  ];

  const state = {
    session: null, config: null, mailbox: '', view: 'working',
    tickets: [], cursor: null, selected: null, detail: null,
    remote: new Set(), drafts: new Map(), composer: 'reply', timer: null, counts: {},
    detailAt: 0, linkTimer: null, // when the open ticket's attachment links were signed
    present: [], // the colleagues who have the open ticket open too (presence)
    search: '', // the search shown in the list instead of a view ('' = none)
    chosen: new Set(), // tickets selected in the queue for a bulk action
  };
  let triage = null; // triage.js, given what it shares at boot
  let sla = null; // sla.js: due times, sort by due, the targets
  let notify = null; // notify.js: the unseen count, notifications and the change polling
  let attachments = null; // attachments.js: files on a reply, uploaded straight to S3
  let replies = null; // replies.js: saved replies, the signature, the reply's preview
  let forward = null; // forward.js: a message or the ticket to any address
  let undoSend = null; // undo_send.js: "Sending… Undo" while a reply is held
  let subjectEdit = null; // subject.js: the ticket head's subject and its Rename

  // -- DOM -------------------------------------------------------------------
  const $ = (selector, root = document) => root.querySelector(selector);

  /* el('p', {className: 'x', text: data, attrs: {title: data}, on: {click}}, ...children) */
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'text') node.textContent = String(value);
      else if (name === 'attrs') for (const [a, v] of Object.entries(value)) node.setAttribute(a, String(v));
      else if (name === 'on') for (const [e, f] of Object.entries(value)) node.addEventListener(e, f);
      else if (name === 'dataset') Object.assign(node.dataset, value);
      else node[name] = value;
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // Words, times, dates and sizes in the agent's language: the catalogue's (i18n.js).
  const { t, tNodes, when, ago, bytes, reason, readBack, warnings, notes } = window.InboundI18n;

  let toastTimer = null;
  function toast(message, action) {
    const box = $('#toast');
    box.replaceChildren(el('span', { text: message }));
    if (action) box.append(el('button', { type: 'button', className: 'link', text: action.label, on: { click: () => { box.hidden = true; action.run(); } } }));
    // Below the top bar as it is now: an admin's (or a German) bar takes two rows, and a
    // toast at a fixed height covered Sign out and the language menu.
    box.style.top = `${Math.max(12, $('.topbar').getBoundingClientRect().bottom + 12)}px`;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, action ? 8000 : 4000);
  }

  function showAlert(node, err) {
    node.replaceChildren();
    if (!err) { node.hidden = true; return; }
    const refused = err.status === 409 || err.status === 422 || err.status === 429;
    node.append(el('strong', { text: t(refused ? 'alert.refused' : 'alert.failed') }), el('span', { text: reason(err), attrs: { title: err.reason || '' } }));
    if (err.status) node.append(el('span', { className: 'code', text: ` (${err.code || 'error'}, HTTP ${err.status})` }));
    node.hidden = false;
  }

  // -- session and API -------------------------------------------------------
  class ApiError extends Error {
    constructor(status, code, reason) { super(reason); this.status = status; this.code = code; this.reason = reason; }
  }

  // credentials: only the sign-in sends and keeps its HttpOnly device cookie (sign_in_devices.py).
  async function call(method, path, { query, body, token, credentials = 'omit' } = {}) {
    const url = new URL(path, BASE);
    for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetch(url, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        credentials, cache: 'no-store', referrerPolicy: 'no-referrer',
      });
    } catch (e) {
      throw new ApiError(0, 'unreachable', t('error.unreachable'));
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!response.ok) {
      const reason = (data && (data.reason || data.Message || data.message)) || `${response.status} ${response.statusText}`;
      const err = new ApiError(response.status, (data && data.error) || 'error', reason);
      err.data = data || {};
      throw err;
    }
    return { status: response.status, data };
  }

  function saveSession(result, email) {
    const previous = state.session || {};
    state.session = {
      idToken: result.id_token,
      refreshToken: result.refresh_token || previous.refreshToken || '',
      expiresAt: Date.now() + (result.expires_in || 3600) * 1000,
      email: email || previous.email || '',
    };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(state.session));
  }

  /* Tabs share one sign-in. The token stays in each tab's sessionStorage, never on disk:
     a new tab asks the open ones for it over a BroadcastChannel (same origin only) and
     signs in by itself when none answers; signing out in one tab signs out all of them.
     The trade-off against localStorage: a token there would outlive the browser session
     and sit on disk for anyone with the profile; here closing the last tab ends it. Any
     script of this origin could ask the channel as it could read sessionStorage, which
     is why the page allows only its own scripts (routes.py's policy: no inline, no remote). */
  const channel = 'BroadcastChannel' in window ? new BroadcastChannel('inbound.console.session') : null;
  function shareSession(event) {
    const message = event.data || {};
    if (message.type === 'ask' && state.session) channel.postMessage({ type: 'session', session: state.session });
    else if (message.type === 'session' && !state.session && message.session && message.session.idToken) {
      state.session = message.session;
      sessionStorage.setItem(SESSION_KEY, JSON.stringify(state.session));
      startDesk();
    } else if (message.type === 'signed-out' && state.session) signOut(t('signin.signed_out_elsewhere'), { quiet: true });
  }

  /* Drafts, per agent and ticket, in localStorage: they survive a reload or a crashed tab,
     and go when sent, when two weeks old, or on signing out with the button (a shared
     computer); an expired session keeps them, as it is no decision of the agent's. */
  function draftKey(key) { return `${DRAFT_PREFIX}${agentEmail()}:${key}`; }
  function keepDraft(key, text) {
    const started = !(state.drafts.get(key) || '').trim() && text.trim();
    state.drafts.set(key, text);
    // Starting to write says so now, not at the next presence renewal (POLL_MS): a colleague
    // who starts on the same ticket sees it before sending, and this agent sees theirs.
    if (started && key.startsWith(`${state.selected}:`)) touchPresence();
    try {
      if (text.trim()) localStorage.setItem(draftKey(key), JSON.stringify({ text, at: Date.now() }));
      else localStorage.removeItem(draftKey(key));
    } catch (e) { /* storage full or refused: the draft lives in this page only */ }
  }
  function draftOf(key) {
    if (state.drafts.has(key)) return state.drafts.get(key);
    try {
      const kept = JSON.parse(localStorage.getItem(draftKey(key)) || 'null');
      if (kept && Date.now() - kept.at < DRAFT_DAYS_MS) { state.drafts.set(key, kept.text); return kept.text; }
    } catch (e) { /* unreadable: no draft */ }
    return '';
  }
  function dropDraft(key) { state.drafts.delete(key); localStorage.removeItem(draftKey(key)); }
  function dropDrafts(all) {
    for (const name of Object.keys(localStorage)) {
      if (!name.startsWith(DRAFT_PREFIX)) continue;
      let old = all;
      try { old = old || Date.now() - JSON.parse(localStorage.getItem(name)).at > DRAFT_DAYS_MS; } catch (e) { old = true; }
      if (old) localStorage.removeItem(name);
    }
  }

  let refreshing = null;
  function refreshSession() {
    if (!refreshing) {
      refreshing = call('POST', 'console/login/refresh', { body: { refresh_token: state.session.refreshToken } })
        .then(({ data }) => saveSession(data))
        .finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  /* The API with the agent's token; one refresh on expiry or 401, then back to sign-in. */
  async function api(method, path, options = {}) {
    if (!state.session) throw new ApiError(401, 'unauthorized', t('signin.not_signed_in'));
    try {
      if (Date.now() > state.session.expiresAt - REFRESH_MARGIN_MS && state.session.refreshToken) await refreshSession();
      return await call(method, `api/${path}`, { ...options, token: state.session.idToken });
    } catch (err) {
      if (err.status !== 401) throw err;
    }
    try {
      await refreshSession();
      return await call(method, `api/${path}`, { ...options, token: state.session.idToken });
    } catch (err) {
      if (err.status === 401 || err.status === 400) signOut(t('signin.session_ended'));
      throw err;
    }
  }

  function agentEmail() {
    if (state.session.email) return state.session.email;
    try {
      const part = state.session.idToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      return JSON.parse(atob(part)).email || '';
    } catch (e) { return ''; }
  }

  // -- sign-in ---------------------------------------------------------------
  let challenge = null;

  function showSignIn(message) {
    $('#desk').hidden = true;
    $('#desk-tools').hidden = true;
    $('.brand').after($('#language'));
    $('#signin').hidden = false;
    $('#new-password-form').hidden = true;
    const form = $('#login-form');
    form.hidden = false;
    showAlert($('.alert', form), message ? { reason: message } : null);
    form.elements.password.value = '';
    form.elements.email.focus();
  }

  function signOut(message, { quiet = false, button = false } = {}) {
    sessionStorage.removeItem(SESSION_KEY);
    if (button) dropDrafts(true);
    if (!quiet && channel) channel.postMessage({ type: 'signed-out' });
    if (triage) triage.forget();
    if (notify) notify.stop();
    state.session = null; state.detail = null; state.selected = null; state.drafts.clear();
    clearInterval(state.timer);
    $('#ticket').replaceChildren();
    showSignIn(message);
  }

  async function submitting(form, work) {
    const button = $('button[type=submit]', form);
    button.disabled = true;
    try { await work(); } catch (err) { showAlert($('.alert', form), err); } finally { button.disabled = false; }
  }

  function onLogin(event) {
    event.preventDefault();
    const form = event.target;
    const email = form.elements.email.value.trim();
    const password = form.elements.password.value;
    if (!email || !password) { showAlert($('.alert', form), { reason: t('signin.missing') }); return; }
    submitting(form, async () => {
      const { data } = await call('POST', 'console/login', { body: { email, password }, credentials: 'same-origin' });
      if (data.challenge === 'NEW_PASSWORD_REQUIRED') {
        challenge = { email, session: data.session };
        form.hidden = true;
        const next = $('#new-password-form');
        next.hidden = false;
        showAlert($('.alert', next), null);
        next.elements.new_password.focus();
        return;
      }
      saveSession(data, email);
      if (channel) channel.postMessage({ type: 'session', session: state.session });
      startDesk();
    });
  }

  function onNewPassword(event) {
    event.preventDefault();
    const form = event.target;
    const chosen = form.elements.new_password.value;
    if (chosen !== form.elements.repeat.value) { showAlert($('.alert', form), { reason: t('signin.passwords_differ') }); return; }
    submitting(form, async () => {
      const { data } = await call('POST', 'console/login/new-password', {
        body: { email: challenge.email, session: challenge.session, new_password: chosen }, credentials: 'same-origin',
      });
      saveSession(data, challenge.email);
      challenge = null;
      form.reset();
      startDesk();
    });
  }

  // -- the queue -------------------------------------------------------------
  function currentView() { return VIEWS.find((v) => v.key === state.view) || VIEWS[0]; }

  function renderViews(counts = {}) {
    const nav = $('#views');
    nav.replaceChildren(...VIEWS.map((view) => el('button', {
      type: 'button', className: `view${!state.search && view.key === state.view ? ' active' : ''}`,
      attrs: { 'aria-pressed': !state.search && view.key === state.view, 'data-view': view.key },
      // The counts with the list (one light request): a tab said "Working 0" over three new tickets.
      on: { click: () => { state.view = view.key; state.cursor = null; endSearch(); remember(); loadQueue(); loadCounts(); } },
    }, el('span', { className: 'label', text: t(`view.${view.key}`) }), el('span', { className: 'count', text: counts[view.key] ?? '…' }))));
  }

  /* The view tabs' counts: one request (GET tickets?counts=1), and the suspended mail's. */
  async function loadCounts() {
    const box = state.mailbox;
    // One request for every view's count (the API counts up to 100: "100+" beyond).
    const [answer, suspended] = await Promise.all([
      api('GET', 'tickets', { query: { mailbox: box, counts: '1' } }).then(({ data }) => data.counts).catch(() => null),
      api('GET', 'suspended', { query: { mailbox: box } }).then(({ data }) => String(data.suspended.length)).catch(() => '?'),
    ]);
    if (box !== state.mailbox) return;
    const shown = (c) => (c ? `${c.count}${c.more ? '+' : ''}` : '?');
    const counts = {};
    for (const name of ['new', 'open', 'pending', 'solved', 'closed']) counts[name] = shown(answer && answer[name]);
    counts.working = answer ? shown({ count: answer.new.count + answer.open.count, more: answer.new.more || answer.open.more }) : '?';
    const mine = shown(answer && answer.mine);
    Object.assign(counts, { mine, suspended });
    state.counts = counts;
    renderViews(counts);
  }

  async function loadQueue({ append = false, quiet = false } = {}) {
    const searched = state.search;
    const view = currentView();
    if (!searched && view.suspended) { renderViews(state.counts); $('#bulk').hidden = true; triage.loadSuspended(); return; }
    // A search looks in every mailbox and status, newest first (the API's ?q=); Mine too.
    const query = searched ? { q: searched, limit: 50 }
      : view.assignee ? { assignee: view.assignee, status: view.statuses, limit: 50 }
        : { mailbox: state.mailbox, status: view.statuses, limit: 50, ...sla.query() };
    if (append) query.cursor = state.cursor;
    renderViews(state.counts);
    try {
      const { data } = await api('GET', 'tickets', { query });
      if (searched !== state.search || view !== currentView()) return;
      state.tickets = append ? state.tickets.concat(data.tickets) : data.tickets;
      state.cursor = data.cursor;
      renderQueue();
      if (quiet) followOpenTicket();
    } catch (err) {
      if (!quiet && err.status !== 401) toast(t('queue.failed', { reason: reason(err) }));
    }
  }

  function renderQueue() {
    const list = $('#tickets');
    const me = agentEmail().toLowerCase();
    // Every change tick renders the list anew: the item the keyboard was on keeps the focus,
    // or an agent who tabbed to a ticket lost their place (and Enter opened nothing).
    const active = document.activeElement;
    const kept = active && active.matches('#tickets li[data-ticket]') ? active.dataset.ticket : '';
    list.replaceChildren(...state.tickets.map((ticket) => {
      const assignee = !ticket.assignee ? el('span', { className: 'pill unassigned', text: t('queue.unassigned') })
        : ticket.assignee.toLowerCase() === me ? el('span', { className: 'pill mine', text: t('queue.you') })
          : el('span', { className: 'pill assignee', text: ticket.assignee });
      const everywhere = state.search || currentView().assignee;
      return el('li', {
        className: `item${ticket.id === state.selected ? ' selected' : ''}`,
        attrs: { tabindex: 0, 'aria-current': ticket.id === state.selected, 'data-ticket': ticket.id },
        on: { click: () => openTicket(ticket.id), keydown: (e) => { if (e.key === 'Enter') openByKeyboard(ticket.id); } },
      },
      el('div', { className: 'line' },
        triage.chooser(ticket),
        el('span', { className: 'tid', text: ticket.id }),
        el('span', { className: `pill status-${ticket.status}`, text: t(`status.${ticket.status}`) }),
        ticket.merged_into ? el('span', { className: 'pill merged', text: t('queue.merged_into', { id: ticket.merged_into }) }) : null,
        assignee,
        ...triage.itemPills(ticket),
        notify.marker(ticket),
        ...sla.itemPills(ticket),
        everywhere ? el('span', { className: 'pill mailbox', text: ticket.mailbox }) : null,
        // The queue is ordered by when tickets were opened (after assignment and priority):
        // that is the time shown; the last activity is in the tooltip.
        el('span', { className: 'ago', text: t('queue.opened', { ago: ago(ticket.created_at) }), attrs: { title: t('queue.opened_title', { opened: when(ticket.created_at), last: when(ticket.updated_at || ticket.created_at) }) } })),
      el('div', { className: 'subject', text: ticket.subject || t('ticket.no_subject') }),
      el('div', { className: 'who' },
        el('span', { text: ticket.requester }),
        el('span', { className: 'muted', text: ` · ${t('queue.messages', { count: ticket.messages })}${ticket.attachments ? ` · ${t('queue.attachments', { count: ticket.attachments })}` : ''}` })));
    }));
    const again = kept && [...list.children].find((li) => li.dataset.ticket === kept);
    if (again) again.focus({ preventScroll: true });
    const empty = $('#queue-empty');
    empty.hidden = state.tickets.length > 0;
    empty.textContent = state.search ? t('queue.no_match', { search: state.search })
      : currentView().assignee ? t('queue.none_mine')
        : t(`queue.none_${currentView().key}`, { mailbox: state.mailbox });
    $('#more').hidden = !state.cursor;
    sla.showSort(!state.search && !currentView().assignee);
    triage.renderBulk();
  }

  /* Search: the list shows what matches until the box is cleared or a view is chosen. */
  function onSearch(event) {
    event.preventDefault();
    const text = $('#search').value.trim();
    if (text === state.search) return;
    state.search = text; state.cursor = null;
    remember();
    loadQueue();
  }

  function endSearch() { state.search = ''; $('#search').value = ''; }

  // -- addresses ---------------------------------------------------------------
  /* What is on screen as a query string on the page's own path (the one route that
     serves the page; API Gateway's stage prefix stays in the path). */
  function here() {
    const p = new URLSearchParams();
    if (state.search) p.set('q', state.search);
    else {
      if (!currentView().assignee && state.config && state.mailbox !== state.config.defaultMailbox) p.set('mailbox', state.mailbox);
      if (state.view !== 'working') p.set('view', state.view);
    }
    if (state.selected) p.set('ticket', state.selected);
    const query = p.toString();
    return `${location.pathname}${query ? `?${query}` : ''}`;
  }

  /* A new entry in the history when the agent went somewhere (not when a poll reloads). */
  function remember() {
    const url = here();
    if (url !== `${location.pathname}${location.search}`) history.pushState(null, '', url);
    showScreen();
  }

  /* At phone width the queue and the open ticket are two screens (console.css): a ticket
     starts at its top; back in the queue, the ticket just left is in sight. */
  function showScreen(left = null) {
    const desk = $('#desk');
    if (desk.classList.contains('reading') === Boolean(state.selected)) return;
    desk.classList.toggle('reading', Boolean(state.selected));
    const item = !state.selected && left && $(`li[data-ticket="${CSS.escape(left)}"]`);
    if (item) item.scrollIntoView({ block: 'center' });
    else window.scrollTo(0, 0);
  }

  /* The phone's way back from a ticket: the same address without it, as a new entry. */
  function toQueue() {
    const p = new URLSearchParams(location.search);
    p.delete('ticket');
    history.pushState(null, '', `${location.pathname}${p.toString() ? `?${p}` : ''}`);
    applyAddress();
  }

  /* Show what the address names: at start, after a reload, on back and forward. */
  function applyAddress() {
    const p = new URLSearchParams(location.search);
    const saved = localStorage.getItem(MAILBOX_KEY);
    const boxes = state.config.mailboxes;
    const named = p.get('mailbox');
    state.mailbox = boxes.includes(named) ? named : boxes.includes(saved) ? saved : state.config.defaultMailbox;
    state.view = VIEWS.some((v) => v.key === p.get('view')) ? p.get('view') : 'working';
    state.search = (p.get('q') || '').trim();
    state.cursor = null;
    $('#search').value = state.search;
    $('#mailbox').value = state.mailbox;
    const ticket = p.get('ticket') || null;
    const left = state.selected;
    const opening = ticket && (ticket !== state.selected || !state.detail);
    if (ticket !== state.selected) {
      if (state.selected) leavePresence(state.selected);
      state.detail = null; state.present = [];
      if (!ticket) $('#ticket').replaceChildren(el('div', { className: 'placeholder' }, el('p', {}, ...tNodes('ticket.none_open', { 0: el('kbd', { text: 'n' }) }))));
    }
    state.selected = ticket;
    history.replaceState(null, '', here());  // the same place, written the one way
    showScreen(left);
    loadQueue(); loadCounts();
    if (opening) openTicket(ticket);
  }

  /* A poll saw the open ticket change: show it, unless the agent is typing there. The ticket
     on screen may already be on its way out: a split or a claim has chosen another one whose
     detail is still loading, and following the old one would take the desk back to it. */
  function followOpenTicket() {
    if (!state.detail || state.detail.ticket.id !== state.selected) return;
    const listed = state.tickets.find((t) => t.id === state.detail.ticket.id);
    const typing = document.activeElement && document.activeElement.tagName === 'TEXTAREA';
    if (listed && listed.updated_at !== state.detail.ticket.updated_at && !typing) openTicket(listed.id);
  }

  function move(step) {
    if (!state.tickets.length) return;
    const at = state.tickets.findIndex((t) => t.id === state.selected);
    const next = at < 0 ? 0 : Math.min(state.tickets.length - 1, Math.max(0, at + step));
    openTicket(state.tickets[next].id);
  }

  async function claimNext() {
    const button = $('#claim-next');
    button.disabled = true;
    try {
      const { status, data } = await api('POST', 'tickets/next', { query: { mailbox: state.mailbox } });
      if (status === 204 || !data) { toast(t('claim.nothing', { mailbox: state.mailbox })); return; }
      toast(t('claim.done', { id: data.id }));
      await openTicket(data.id);
      refresh();
    } catch (err) {
      toast(t('claim.failed', { reason: reason(err) }));
    } finally { button.disabled = false; }
  }

  // -- one ticket --------------------------------------------------------------
  async function openTicket(id) {
    if (state.selected && state.selected !== id) { leavePresence(state.selected); state.present = []; }
    state.selected = id;
    remember();
    renderQueue();
    const item = $(`li[data-ticket="${CSS.escape(id)}"]`);
    if (item) item.scrollIntoView({ block: 'nearest' });
    try {
      const { data } = await api('GET', `tickets/${encodeURIComponent(id)}`);
      if (state.selected !== id) return;
      state.detail = data;
      state.detailAt = Date.now();
      renderTicket();
      touchPresence();
      undoSend.resume(id); // replies still held after a reload (undo_send.js)
    } catch (err) {
      if (state.selected !== id) return;
      const pane = $('#ticket');
      pane.replaceChildren(el('p', { className: 'alert', attrs: { role: 'alert' } }));
      showAlert($('.alert', pane), err);
    }
  }

  /* Enter on a queue item: the ticket opens and the focus goes to it, so that Tab walks its
     actions next, not the rest of the queue (two stops per ticket, a hundred tickets). */
  async function openByKeyboard(id) {
    await openTicket(id);
    const head = $('#ticket .ticket-head');
    if (!head || state.selected !== id) return;
    head.tabIndex = -1;
    head.focus();
  }

  function renderTicket() {
    const { ticket, messages } = state.detail;
    const me = agentEmail().toLowerCase();
    const assignee = (ticket.assignee || '').toLowerCase();
    const head = el('header', { className: 'ticket-head' },
      el('div', { className: 'line' },
        el('span', { className: 'tid', text: ticket.id }),
        el('span', { className: `pill status-${ticket.status}`, text: t(`status.${ticket.status}`) }),
        ticket.priority && ticket.priority !== 'normal' ? el('span', { className: `pill priority-${ticket.priority}`, text: t('ticket.priority', { priority: t(`priority.${ticket.priority}`) }) }) : null,
        ...ticket.tags.map((tag) => el('span', { className: 'pill tag', text: tag }))),
      subjectEdit.heading(ticket),
      el('p', { className: 'presence', attrs: { 'aria-live': 'polite' } }),
      el('p', { className: 'muted' },
        `${ticket.requester} · ${ticket.mailbox} · ${t('queue.opened', { ago: ago(ticket.created_at) })} · `,
        !assignee ? t('queue.unassigned') : assignee === me ? t('ticket.assigned_to_you') : t('ticket.assigned_to', { agent: ticket.assignee }),
        ticket.merged_into ? ` · ${t('queue.merged_into', { id: ticket.merged_into })}` : ''),
      sla.ticketLine(ticket),
      el('div', { className: 'actions' },
        assignee !== me ? el('button', { type: 'button', text: t('ticket.assign_to_me'), on: { click: () => takeTicket(ticket) } }) : null,
        ...STATUS_ACTIONS.map((a) => el('button', {
          type: 'button', className: a.status === 'closed' ? 'danger' : '', disabled: ticket.status === a.status,
          attrs: { 'data-status': a.status, title: t('ticket.mark_title', { status: t(`status.${a.status}`), key: a.key }) },
          on: { click: () => setStatus(a.status) },
        }, t(`action.${a.status}`), ' ', el('kbd', { text: a.key }))),
        ['solved', 'closed', 'pending'].includes(ticket.status) ? el('button', { type: 'button', text: t('ticket.reopen'), on: { click: () => setStatus('open') } }) : null,
        forward.ticketButton(ticket)),
      triage.ticketTools(ticket, me),
      renderPeople(ticket),
      renderRelated(ticket),
      renderHistory(ticket),
      el('p', { className: 'alert', attrs: { role: 'alert' }, hidden: true }));
    // What a split may leave behind: mail and notes (an acknowledgement alone is no ticket).
    const counted = messages.filter((m) => ['customer', 'staff', 'note'].includes(m.kind)).length + (state.detail.earlier || 0);
    const thread = el('ol', { className: 'messages' }, messages.map((m) => renderMessage(m, ticket, counted)));
    // Long threads come in pages (a response stays under Lambda's 6 MB): older ones on demand.
    const earlier = state.detail.earlier ? el('button', {
      type: 'button', className: 'earlier',
      text: t('ticket.show_earlier', { count: state.detail.earlier }),
      on: { click: () => loadEarlier(ticket.id) },
    }) : null;
    $('#ticket').replaceChildren(head, earlier || '', thread, triage.splitBar(ticket, counted), renderComposer(ticket));
    renderPresence();
    scheduleLinkRefresh();
  }

  async function loadEarlier(id) {
    const { data } = await api('GET', `tickets/${encodeURIComponent(id)}?before=${encodeURIComponent(state.detail.before)}`);
    if (state.selected !== id) return;
    state.detail = { ...data, messages: [...data.messages, ...state.detail.messages] };
    renderTicket();
  }

  /* The requester's other tickets, in every mailbox, one click away (the history route). */
  function renderHistory(ticket) {
    const box = el('div', { className: 'history' });
    const show = el('button', {
      type: 'button', className: 'quiet', text: t('history.open', { customer: ticket.requester }),
      attrs: { 'aria-expanded': 'false' }, on: { click: () => loadHistory(ticket.id, box, show) },
    });
    box.append(show);
    return box;
  }

  async function loadHistory(id, box, button) {
    button.disabled = true;
    try {
      const { data } = await api('GET', `tickets/${encodeURIComponent(id)}/history`);
      if (state.selected !== id) return;
      button.setAttribute('aria-expanded', 'true');
      const items = data.tickets.map((past) => el('li', {},
        el('button', { type: 'button', className: 'link', dataset: { history: past.id }, on: { click: () => openTicket(past.id) } },
          el('span', { className: 'tid', text: past.id }), ' ',
          el('span', { className: `pill status-${past.status}`, text: t(`status.${past.status}`) }), ' ',
          el('span', { className: 'pill mailbox', text: past.mailbox }), ' ',
          el('span', { className: 'subject', text: past.subject || t('ticket.no_subject') }), ' ',
          el('span', { className: 'muted', text: ago(past.created_at), attrs: { title: when(past.created_at) } }))));
      box.replaceChildren(el('h3', { text: t('history.title') }),
        items.length ? el('ol', { className: 'history-list' }, items) : el('p', { className: 'muted', text: t('history.none') }));
    } catch (err) {
      button.disabled = false;
      toast(t('history.failed', { reason: reason(err) }));
    }
  }

  /* Who replies reach: the requester, copied to the participants; staff remove and add them. */
  function renderPeople(ticket) {
    const editable = !ticket.merged_into;
    const chips = ticket.participants.map((address) => el('span', { className: 'chip', dataset: { participant: address } },
      el('span', { text: address }),
      editable ? el('button', {
        type: 'button', className: 'chip-remove', text: '×',
        attrs: { title: t('people.stop_copying', { address }), 'aria-label': t('people.remove', { address }) },
        on: { click: () => changeParticipant('remove', address) },
      }) : null));
    const input = el('input', { type: 'email', name: 'address', attrs: { placeholder: t('people.add_placeholder'), 'aria-label': t('people.add_label') } });
    const add = editable ? el('form', { className: 'add-participant', on: { submit: (e) => { e.preventDefault(); if (input.value.trim()) changeParticipant('add', input.value.trim()); } } },
      input, el('button', { type: 'submit', text: t('people.add') })) : null;
    return el('div', { className: 'people', attrs: { 'aria-label': t('people.label') } },
      el('span', { className: 'label', text: t('people.to') }), el('span', { className: 'chip requester', text: ticket.requester }),
      el('span', { className: 'label', text: t('people.cc') }),
      chips.length ? chips : el('span', { className: 'muted', text: t('people.nobody') }),
      add);
  }

  /* A mail that claimed another ticket but could not join it (SECURITY.md): say why, offer the merge. */
  function renderRelated(ticket) {
    if (!ticket.related_ticket || ticket.merged_into) return null;
    const target = ticket.related_ticket;
    const split = /^(split from|a message was split into) /.exec(ticket.related_reason || '');
    if (split) {  // a split links both ways; nothing to merge
      return el('div', { className: 'related split-from', attrs: { role: 'note' } },
        ...tNodes(split[1] === 'split from' ? 'related.split_from' : 'related.split_into', {
          ticket: el('button', { type: 'button', className: 'link', text: target, dataset: { goto: target }, on: { click: () => openTicket(target) } }),
        }),
        split[1] === 'split from' ? el('span', { className: 'muted', text: ` (${readBack('related.by', ticket.related_reason.replace(/^split from \S+ /, ''))})` }) : null);
    }
    // why, by the notes' codes in the agent's language (i18n.js notes); stored before codes: as written
    const why = ticket.related_reason ? notes({ reason: ticket.related_reason, notes: ticket.related_notes }) : t('related.untrusted');
    return el('div', { className: 'related', attrs: { role: 'note' } },
      el('div', {},
        el('strong', {}, ...tNodes('related.not_added', { ticket: el('button', { type: 'button', className: 'link', text: target, on: { click: () => openTicket(target) } }) })),
        el('span', { text: ' ' }),
        el('span', { className: 'why', text: why, attrs: why === ticket.related_reason ? { lang: 'en' } : {} })),
      el('button', {
        type: 'button', className: 'merge', text: t('related.merge', { ticket: target }),
        attrs: { title: t('related.merge_title', { ticket: target }) },
        on: { click: () => mergeInto(ticket.id, target) },
      }));
  }

  async function changeParticipant(action, address) {
    const id = state.detail.ticket.id;
    const alert = $('.ticket-head .alert');
    try {
      await api('POST', `tickets/${encodeURIComponent(id)}/participants${action === 'remove' ? '/remove' : ''}`, { body: { address } });
      const undo = action === 'remove' ? { label: t('toast.undo'), run: () => { if (state.selected === id) changeParticipant('add', address); } } : undefined;
      toast(t(action === 'remove' ? 'people.removed' : 'people.added', { address }), undo);
      await openTicket(id);
    } catch (err) {
      if (alert && state.selected === id) showAlert(alert, err); else toast(`${id}: ${reason(err)}`);
    }
  }

  async function mergeInto(id, target) {
    const alert = $('.ticket-head .alert');
    try {
      await api('POST', `tickets/${encodeURIComponent(id)}/merge`, { body: { into: target } });
      toast(t('merge.done', { id, target }));
      await openTicket(target);
      refresh();
    } catch (err) {
      if (alert && state.selected === id) showAlert(alert, err); else toast(`${id}: ${reason(err)}`);
    }
  }

  function renderMessage(m, ticket, counted) {
    if (m.kind === 'event') {  // the audit trail: who changed what, when, as one small line
      return el('li', { className: 'event', dataset: { key: m.key } },
        el('span', { className: 'who', text: m.sender }), ' ', ...triage.linkedText(readBack('event.', m.text)), ' · ',
        el('time', { text: ago(m.time), attrs: { datetime: m.time, title: when(m.time) } }));
    }
    const inbound = m.direction === 'inbound';
    /* Name and address each in a <bdi>: a bidi override in a display name ("\u202E...")
       would otherwise run on and show the real address reversed. */
    const address = el('bdi', { className: 'address', text: m.sender });
    const sender = m.sender_name
      ? el('span', { className: 'sender' }, el('bdi', { className: 'name', text: m.sender_name }), ' <', address, '>')
      : el('span', { className: 'sender' }, address);
    const meta = el('div', { className: 'meta' },
      sender,
      el('span', { className: `pill kind-${m.kind}`, text: KINDS.includes(m.kind) ? t(`kind.${m.kind}`) : m.kind }),
      el('time', { text: when(m.time), attrs: { datetime: m.time, title: m.date ? t('message.date_header', { date: m.date }) : m.time } }),
      forward.messageButton(ticket, m),
      triage.splitButton(ticket, m, counted));
    const facts = el('div', { className: 'facts' });
    // Only the thread's first mail started this ticket; a later one that began a ticket came by a merge
    const first = state.detail.earlier ? null : state.detail.messages.find((x) => x.direction === 'inbound' && x.thread_signal === 'new');
    const merged = m.thread_signal === 'new' && m !== first;
    if (inbound && m.thread_signal) facts.append(el('span', { className: 'signal', text: merged ? t('signal.new_merged') : SIGNALS.includes(m.thread_signal) ? t(`signal.${m.thread_signal}`) : t('signal.other', { signal: m.thread_signal }) }));
    if (inbound) facts.append(...verdictBadges(m.verdicts || {}));
    if (m.sender_name_mixed_scripts) facts.append(el('span', { className: 'badge warn', text: t('message.mixed_scripts'), attrs: { title: t('message.mixed_scripts_title') } }));
    if (inbound && m.authenticated === false) facts.append(el('span', { className: 'badge bad', text: t('message.unauthenticated'), attrs: { title: readBack('trust.', m.trust_reason || '') } }));
    if (m.to.length && m.kind !== 'note') facts.append(el('span', { className: 'muted', text: t('message.to', { addresses: m.to.join(', ') }) }));
    if (m.cc.length) facts.append(el('span', { className: 'muted', text: t('message.cc', { addresses: m.cc.join(', ') }) }));
    if (m.lossy_decoding) facts.append(el('span', { className: 'badge warn', text: t('message.lossy') }));
    // an incoming mail's notes by their codes, a reply's warnings, in the agent's language
    // (i18n.js notes, warnings); messages stored before codes, and other notes, as written
    const note = notes(m);
    if (note) facts.append(el('span', { className: 'badge warn', text: note, attrs: note === m.reason ? { lang: 'en' } : {} }));
    const item = el('li', { className: `message ${m.kind === 'note' ? 'note' : inbound ? 'in' : 'out'}`, dataset: { key: m.key } }, meta);
    const open = () => item.append(facts.childNodes.length ? facts : '', renderBody(m), renderAttachments(m.attachments, m.key) || '');
    if (m.kind === 'acknowledgement') {  // the same words every time: folded until asked for
      item.classList.add('folded');
      const show = el('button', { type: 'button', className: 'link', text: t('message.show'), on: { click: () => { show.remove(); item.classList.remove('folded'); open(); } } });
      meta.insertBefore(show, meta.querySelector('time'));
    } else open();
    return item;
  }

  function verdictBadges(v) {
    const badge = (label, value) => {
      const status = String(value || 'NONE').toUpperCase();
      const tone = status === 'PASS' ? 'ok' : status === 'FAIL' ? 'bad' : status === 'PROCESSING_FAILED' ? 'warn' : 'none';
      const said = VERDICTS.includes(status) ? t(`verdict.${status.toLowerCase()}`) : status.toLowerCase();
      return el('span', { className: `badge ${tone}`, attrs: { title: `${label}: ${status}` }, text: `${label} ${status === 'PASS' ? '✓' : said}` });
    };
    const badges = [badge('SPF', v.spf), badge('DKIM', v.dkim), badge('DMARC', v.dmarc)];
    for (const [label, key] of [[t('message.spam'), 'spam'], [t('message.virus'), 'virus']]) {
      if (v[key] && !['PASS', 'NONE', 'DISABLED'].includes(String(v[key]).toUpperCase())) badges.push(badge(label, v[key]));
    }
    return badges;
  }

  function renderBody(m) {
    const box = el('div', { className: 'body' });
    const text = m.text || '';
    const short = m.reply_text && m.reply_text.trim() !== text.trim() ? m.reply_text : '';
    const showText = (full) => {
      const pre = el('div', { className: 'text', text: full || !short ? text : short });
      const tools = el('div', { className: 'body-tools' });
      if (short) tools.append(el('button', { type: 'button', className: 'link', text: t(full ? 'message.hide_quoted' : 'message.show_quoted'), on: { click: () => box.replaceChildren(...showText(!full)) } }));
      if (m.html) tools.append(el('button', { type: 'button', className: 'link', text: t('message.show_formatted'), on: { click: () => box.replaceChildren(...showHtml()) } }));
      return [pre, tools.childNodes.length ? tools : ''];
    };
    const showHtml = () => {
      const remote = state.remote.has(m.key);
      const { srcdoc, blocked, blocks } = mailDocument(m, remote);
      const frame = el('iframe', { className: 'mail', title: t('message.frame_title', { sender: m.sender }), attrs: { sandbox: '', referrerpolicy: 'no-referrer' } });
      frame.srcdoc = srcdoc;
      const wrap = el('div', { className: 'frame-wrap' }, frame);
      const lines = Math.max(blocks * 1.6, text.split('\n').length);  // a guess: the frame cannot be measured
      wrap.style.height = `${Math.round(Math.min(640, Math.max(140, 48 + 24 * lines)))}px`;
      const tools = el('div', { className: 'body-tools' });
      if (blocked && !remote) {
        tools.append(el('span', { className: 'muted', text: `${t('message.images_blocked', { count: blocked })} ` }),
          el('button', { type: 'button', className: 'link', attrs: { 'data-action': 'remote-images' }, text: t('message.show_images'), on: { click: () => { state.remote.add(m.key); box.replaceChildren(...showHtml()); } } }));
      }
      tools.append(el('button', { type: 'button', className: 'link', text: t('message.plain_text'), on: { click: () => box.replaceChildren(...showText(false)) } }));
      return [wrap, tools];
    };
    box.append(...(m.html ? showHtml() : showText(false)));
    return box;
  }

  /* The srcdoc of a mail frame: its own policy first, then the sanitised HTML. The frame
   * is sandbox="" (no scripts, opaque origin) and also inherits the page's policy. */
  function mailDocument(m, remote) {
    const doc = new DOMParser().parseFromString(m.html, 'text/html');  // inert: runs and loads nothing
    const inline = new Map();
    for (const a of m.attachments) if (a.content_id && a.url) inline.set(a.content_id.replace(/^<|>$/g, '').toLowerCase(), a.url);
    const origins = new Set();
    let blocked = 0;
    for (const img of doc.querySelectorAll('img')) {
      const src = (img.getAttribute('src') || '').trim();
      if (/^cid:/i.test(src)) {
        let id = src.slice(4);
        try { id = decodeURIComponent(id); } catch (e) { /* keep it as written */ }
        const url = inline.get(id.replace(/^<|>$/g, '').toLowerCase());
        if (url && /^https?:/i.test(url)) { img.setAttribute('src', url); origins.add(new URL(url).origin); }
      } else if (/^https?:/i.test(src) || src.startsWith('//')) blocked += 1;
    }
    for (const a of doc.querySelectorAll('a[href]')) {
      a.setAttribute('title', a.getAttribute('href'));
      a.setAttribute('target', '_blank');
      a.setAttribute('rel', 'noopener noreferrer');
    }
    const images = ['data:', 'cid:', ...origins, ...(remote ? ['https:', 'http:'] : [])].join(' ');
    const policy = `default-src 'none'; img-src ${images}; style-src 'unsafe-inline'`;
    const body = 'margin:0;padding:14px 16px;font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff;overflow-wrap:anywhere';
    const srcdoc = `<!doctype html><meta http-equiv="Content-Security-Policy" content="${policy}">`
      + `<meta name="referrer" content="no-referrer"><body style='${body}'>${doc.body.innerHTML}</body>`;
    const blocks = doc.body.querySelectorAll('p, div, br, li, tr, h1, h2, h3, h4, blockquote, pre').length;
    return { srcdoc, blocked, blocks };
  }

  /* Bidi overrides and isolates in a file name disguise its type ("invoice\u202Efdp.exe"
   * reads "invoiceexe.pdf"): they are shown as what they are, not obeyed. */
  const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
  function fileName(name) {
    return String(name || t('attachment.unnamed')).replace(BIDI_CONTROLS, (c) => `[U+${c.codePointAt(0).toString(16).toUpperCase()}]`);
  }

  function renderAttachments(attachments, key) {
    if (!attachments.length) return null;
    return el('ul', { className: 'attachments' }, attachments.map((a, n) => el('li', {},
      el('a', { href: /^https?:/i.test(a.url) ? a.url : undefined, text: fileName(a.filename), dataset: { att: `${key}/${n}` }, attrs: { download: fileName(a.filename), rel: 'noopener noreferrer', target: '_blank', referrerpolicy: 'no-referrer' }, on: { click: followLink } }),
      el('span', { className: 'muted', text: ` ${a.detected_type || a.content_type} · ${bytes(a.size)}` }),
      a.risky ? el('span', { className: 'badge bad', text: t('attachment.risky') }) : null)));
  }

  /* Attachment links are presigned for a few minutes (url_expires_in): while a ticket stays
     open they are fetched again before they expire, and a click on one that expired (a
     sleeping laptop) renews them first instead of opening S3's AccessDenied page. */
  function linksExpireAt() {
    const seconds = state.detail ? state.detail.messages.flatMap((m) => m.attachments.map((a) => a.url_expires_in || 0)).filter((s) => s > 0) : [];
    return seconds.length ? state.detailAt + Math.min(...seconds) * 1000 : Infinity;
  }

  function scheduleLinkRefresh() {
    clearTimeout(state.linkTimer);
    const at = linksExpireAt();
    if (at !== Infinity) state.linkTimer = setTimeout(refreshLinks, Math.max(1000, at - Date.now() - LINK_MARGIN_MS));
  }

  async function refreshLinks() {
    const id = state.selected;
    if (!id || !state.detail) return;
    if (document.hidden) { state.linkTimer = setTimeout(refreshLinks, 5000); return; }
    try {
      const { data } = await api('GET', `tickets/${encodeURIComponent(id)}`);
      if (state.selected !== id) return;
      const fresh = new Map();
      for (const m of data.messages) m.attachments.forEach((a, n) => fresh.set(`${m.key}/${n}`, a));
      for (const m of state.detail.messages) {
        m.attachments.forEach((a, n) => { const f = fresh.get(`${m.key}/${n}`); if (f) Object.assign(a, { url: f.url, url_expires_in: f.url_expires_in }); });
      }
      document.querySelectorAll('#ticket a[data-att]').forEach((a) => {
        const f = fresh.get(a.dataset.att);
        if (f && /^https?:/i.test(f.url)) a.href = f.url;
      });
      state.detailAt = Date.now();
    } catch (err) {
      if (err.status !== 401) toast(t('attachment.links_failed', { reason: reason(err) }));
    }
    scheduleLinkRefresh();
  }

  async function followLink(event) {
    if (Date.now() < linksExpireAt() - 5000) return;
    event.preventDefault();
    await refreshLinks();
    toast(t('attachment.renewed'));
  }

  function renderComposer(ticket) {
    const forms = [
      { mode: 'reply', send: sendReply,
        hint: `${t('message.to', { addresses: ticket.requester })}${ticket.participants.length ? ` · ${t('message.cc', { addresses: ticket.participants.join(', ') })}` : ''}` },
      { mode: 'note', hint: t('composer.note_hint'), send: addNote },
    ];
    const tabs = el('div', { className: 'tabs', attrs: { role: 'tablist' } });
    const box = el('section', { className: 'composer', attrs: { 'aria-label': t('composer.label') } }, tabs);
    for (const f of forms) {
      const key = `${ticket.id}:${f.mode}`;
      const area = el('textarea', {
        name: 'text', rows: 6, value: draftOf(key),
        attrs: { placeholder: t(`composer.${f.mode}_placeholder`), 'aria-label': t(`composer.${f.mode}`) },
        on: {
          input: (e) => keepDraft(key, e.target.value),
          keydown: (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); } },
        },
      });
      const form = el('form', { id: `${f.mode}-form`, className: `compose ${f.mode}`, hidden: state.composer !== f.mode, on: { submit: (e) => { e.preventDefault(); f.send(form, key); } } },
        area, el('div', { className: 'compose-bar' },
          el('span', { className: 'muted', text: f.hint }),
          el('button', { type: 'submit', className: f.mode === 'reply' ? 'primary' : '', text: t(`composer.${f.mode}_send`) })),
        el('p', { className: 'alert', attrs: { role: 'alert' }, hidden: true }));
      if (f.mode === 'reply') attachments.decorate(form, ticket.id);
      if (f.mode === 'reply' && replies) replies.attach(form, ticket);
      tabs.append(el('button', {
        type: 'button', className: `tab${state.composer === f.mode ? ' active' : ''}`, text: t(`composer.${f.mode}`), dataset: { mode: f.mode },
        attrs: { role: 'tab', 'aria-selected': state.composer === f.mode }, on: { click: () => focusComposer(f.mode) },
      }));
      box.append(form);
    }
    return box;
  }

  function focusComposer(mode) {
    if (!state.detail) return;
    state.composer = mode;
    for (const tab of document.querySelectorAll('.composer .tab')) {
      const active = tab.dataset.mode === mode;
      tab.classList.toggle('active', active);
      tab.setAttribute('aria-selected', active);
    }
    for (const form of document.querySelectorAll('.composer form')) form.hidden = form.id !== `${mode}-form`;
    const area = $(`#${mode}-form textarea`);
    area.scrollIntoView({ block: 'center', behavior: 'smooth' });
    area.focus();
  }

  async function post(form, key, path, done, extra = {}) {
    const text = form.elements.text.value;
    const alert = $('.alert', form);
    if (!text.trim()) { showAlert(alert, { reason: t('composer.empty') }); return; }
    const button = $('button[type=submit]', form);
    button.disabled = true;
    try {
      const { data } = await api('POST', path, { body: { text, ...extra } });
      dropDraft(key);
      done(data);
      await openTicket(state.detail.ticket.id);
    } catch (err) {
      if (err.code === 'stale') { await showStale(err); return; }
      showAlert(alert, err);  // the draft stays in the box
      button.disabled = false;
    }
  }

  /* A reply written before the customer or a colleague wrote again is refused (409 stale):
     the thread is loaded again with the new messages marked, the draft kept, the reason shown.
     When a colleague only solved or closed the ticket meanwhile, the agent is asked whether to
     send anyway: sent again (now after the closing), the reply reopens the ticket. */
  async function showStale(err) {
    const id = state.detail.ticket.id;
    await openTicket(id);
    refresh();
    if (state.selected !== id) return;
    const newer = (err.data && err.data.newer) || [];
    const done = newer.length && newer.every((m) => m.status) ? newer[newer.length - 1] : null;
    if (done) {
      const ask = t(done.status === 'closed' ? 'composer.stale_closed' : 'composer.stale_solved', { agent: done.sender, ago: ago(done.time) });
      if (window.confirm(ask)) { $('#reply-form').requestSubmit(); return; }
    }
    for (const m of (err.data && err.data.newer) || []) {
      const item = $(`li.message[data-key="${CSS.escape(m.key)}"]`);
      if (item) item.classList.add('unseen');
    }
    focusComposer('reply');
    showAlert($('#reply-form .alert'), err);
  }

  async function sendReply(form, key) {
    const id = state.detail.ticket.id;
    const thread = state.detail.messages;
    // The newest message on screen: the API refuses the reply if anyone wrote after it.
    const seen = thread.length ? { last_seen: thread[thread.length - 1].key } : {};
    let files;
    try { files = await attachments.ready(form); } catch (err) { showAlert($('.alert', form), err); return; }
    seen.format = 'markdown'; // the server renders it to safe HTML and signs it (replies.js)
    const text = form.elements.text.value;
    post(form, key, `tickets/${encodeURIComponent(id)}/reply`, (sent) => {
      const taken = attachments.clear(form);
      if (sent.held) { undoSend.track(id, sent, text, taken); return; } // held for the undo window (undo_send.js)
      toast(sent.warnings ? t('composer.sent_warning', { warnings: warnings(sent.warnings) }) : t('composer.sent', { addresses: sent.to.join(', ') }));
      refresh();
    }, { ...seen, ...files, undo: true });
  }

  function addNote(form, key) {
    post(form, key, `tickets/${encodeURIComponent(state.detail.ticket.id)}/notes`, () => toast(t('composer.noted')));
  }

  /* Taking a colleague's ticket is asked first; the API wants take_over for it too. */
  function takeTicket(ticket) {
    if (!ticket.assignee) { update({ assignee: 'me' }, t('ticket.assigned_you')); return; }
    if (!window.confirm(t('ticket.take_over_confirm', { id: ticket.id, agent: ticket.assignee }))) return;
    update({ assignee: 'me', take_over: true }, t('ticket.taken_over', { agent: ticket.assignee }));
  }

  async function update(changes, message, undo) {
    if (!state.detail) return;
    const id = state.detail.ticket.id;
    const alert = $('.ticket-head .alert');
    try {
      await api('PATCH', `tickets/${encodeURIComponent(id)}`, { body: changes });
      toast(message, undo);
      await openTicket(id);
      refresh();
    } catch (err) {
      if (alert && state.selected === id) showAlert(alert, err); else toast(`${id}: ${reason(err)}`);
    }
  }

  function setStatus(status) {
    if (!state.detail || state.detail.ticket.status === status) return;
    const { id, status: before } = state.detail.ticket;
    const undo = { label: t('toast.undo'), run: () => { if (state.selected === id) update({ status: before }, t('ticket.status_again', { id, status: t(`status.${before}`) })); } };
    update({ status }, t('ticket.marked', { id, status: t(`status.${status}`) }), undo);
  }

  // -- keyboard, polling, start ----------------------------------------------
  function onKey(e) {
    if (!state.session || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    const typing = e.target.closest && e.target.closest('input, textarea, select, [contenteditable]');
    // Esc leaves a text box, but in an open dialog it is the dialog's: it closes it (it
    // only blurred the field, focus fell to the page and a second Esc was needed).
    if (typing) { if (e.key === 'Escape' && !e.target.closest('dialog[open]')) e.target.blur(); return; }
    if ($('#help').open) return;
    const actions = {
      n: claimNext, j: () => move(1), k: () => move(-1), r: () => focusComposer('reply'), i: () => focusComposer('note'),
      p: () => setStatus('pending'), s: () => setStatus('solved'), c: () => setStatus('closed'), '?': () => $('#help').showModal(),
      '/': () => $('#search').focus(),
    };
    if (actions[e.key]) { e.preventDefault(); actions[e.key](); }
  }

  /* Presence: who else has this ticket open, or a draft on it; renewed with every poll and
     lapsing on its own on the server when it is not (a closed laptop). A hint only. */
  async function touchPresence() {
    const id = state.selected;
    if (!id || !state.session) return;
    const writing = [...state.drafts.entries()].some(([key, text]) => key.startsWith(`${id}:`) && text.trim());
    try {
      const { data } = await api('PUT', `tickets/${encodeURIComponent(id)}/presence`, { body: { writing } });
      // What this PUT moved the ticket's presence counter to: notify.js tells our own move
      // from a colleague's by it.
      if (data.changes !== null && data.changes !== undefined) state.presenceCount = { ticket: id, changes: data.changes };
      if (state.selected !== id) return;
      state.present = data.present;
      renderPresence();
    } catch (err) { /* no presence shown is the fallback */ }
  }

  function renderPresence() {
    const box = $('#ticket .presence');
    if (!box) return;
    box.replaceChildren(...state.present.map((p) => el('span', {
      className: `pill ${p.writing ? 'writing' : 'viewing'}`,
      text: t(p.writing ? 'presence.writing' : 'presence.viewing', { agent: p.agent }),
      attrs: { title: t('presence.seen', { when: when(p.seen_at) }) },
    })));
    box.hidden = !state.present.length;
  }

  function leavePresence(id) {
    api('DELETE', `tickets/${encodeURIComponent(id)}/presence`).catch(() => {});
  }

  /* The queue and the counts again (notify.js decides when, from the change counters). */
  function reload() {
    if (!state.session) return;
    loadCounts();
    loadQueue({ quiet: true });
  }

  function refresh() {
    if (!state.session) return;
    touchPresence();
    if (notify) notify.resync(); else reload();
  }

  async function startDesk() {
    // The mailbox list comes first: the Reports and Announcements dialogs copy their mailbox
    // choices from #mailbox when they open, so no tool may be clickable before it is filled.
    if (!state.config) {
      try { state.config = (await call('GET', 'console/config.json')).data; } catch (e) { state.config = { mailboxes: ['support'], defaultMailbox: 'support' }; }
    }
    $('#mailbox').replaceChildren(...state.config.mailboxes.map((box) => el('option', { value: box, text: box })));
    $('#signin').hidden = true;
    $('#desk').hidden = false;
    $('#desk-tools').hidden = false;
    $('#agent').textContent = agentEmail();
    $('#agent').title = agentEmail();
    $('#desk-tools').append($('#language'));  // the last of the tools while signed in
    window.InboundI18n.forAgent(agentEmail());  // the agent's own language, if another
    renderViews();
    applyAddress();
    clearInterval(state.timer);
    // Presence is renewed on this beat; the queue follows the change counters (notify.js).
    state.timer = setInterval(() => { if (!document.hidden) touchPresence(); }, POLL_MS);
    notify.start();
  }

  function boot() {
    $('.brand').after(window.InboundI18n.picker(() => (state.session ? agentEmail() : '')));
    $('#login-form').addEventListener('submit', onLogin);
    $('#new-password-form').addEventListener('submit', onNewPassword);
    $('#claim-next').addEventListener('click', claimNext);
    $('#sign-out').addEventListener('click', () => signOut(t('signin.signed_out'), { button: true }));
    $('#help-open').addEventListener('click', () => $('#help').showModal());
    $('#to-queue').addEventListener('click', toQueue);
    $('#more').addEventListener('click', () => loadQueue({ append: true }));
    $('#search-form').addEventListener('submit', onSearch);
    $('#search').addEventListener('input', (e) => { if (!e.target.value && state.search) { endSearch(); remember(); loadQueue(); } });
    $('#toast').addEventListener('click', (e) => { if (e.target.tagName !== 'BUTTON') e.currentTarget.hidden = true; });
    $('#mailbox').addEventListener('change', (e) => {
      state.mailbox = e.target.value;
      localStorage.setItem(MAILBOX_KEY, state.mailbox);
      state.selected = null; state.detail = null; state.cursor = null; state.counts = {}; endSearch();
      if (currentView().assignee) state.view = 'working';  // Mine spans every mailbox: show this one's queue
      remember();
      $('#ticket').replaceChildren(el('div', { className: 'placeholder' }, el('p', {}, ...tNodes('ticket.none_open_in', { mailbox: state.mailbox, 0: el('kbd', { text: 'n' }) }))));
      loadQueue(); loadCounts();
    });
    document.addEventListener('keydown', onKey);
    window.addEventListener('popstate', () => { if (state.session && state.config) applyAddress(); });
    if (channel) channel.addEventListener('message', shareSession);
    dropDrafts(false);
    triage = window.InboundTriage({
      api, el, $, toast, showAlert, state, when, agentEmail, openTicket, refresh, mergeInto,
      renderTicket: () => { if (state.detail) renderTicket(); }, renderQueue, renderViews,
      bulkMerge: window.InboundBulkMerge({ api, el, toast }),
    });
    notify = window.InboundNotify({ api, el, $, state, toast, openTicket, reload, touchPresence });
    window.InboundStaff({ api, el, $, toast, showAlert, state });
    attachments = window.InboundAttachments({ api, el, $ });
    forward = window.InboundForward({ api, el, $, toast, showAlert, openTicket });
    undoSend = window.InboundUndoSend({ api, el, $, toast, openTicket, state, attachments });
    subjectEdit = window.InboundSubject({ api, el, toast, showAlert, openTicket, refresh });
    window.InboundAnnounce({ api, el, $, toast, showAlert, state });
    window.InboundReports({ api, el, $, showAlert });
    replies = window.InboundReplies({ api, el, $, toast, showAlert, state });
    window.InboundAlerts({ api, el, $, toast, reason });
    sla = window.InboundSla({ api, el, $, toast, showAlert, state, refresh, reload: () => { state.cursor = null; loadQueue(); } });
    document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
    try { state.session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null'); } catch (e) { state.session = null; }
    if (state.session && state.session.idToken) startDesk();
    else {
      showSignIn();
      if (channel) channel.postMessage({ type: 'ask' });  // another tab may be signed in
    }
  }

  boot();
})();
