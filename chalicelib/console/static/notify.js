/* inbound staff console: notifications. The unseen count in the title, an optional
 * desktop notification and an optional tone for new tickets in any mailbox and customer
 * replies on the agent's own tickets, and the faster update behind them.
 *
 * How the console learns of a change: every CHANGES_MS it reads GET /api/changes (one
 * DynamoDB read: a counter per mailbox and one for the agent, bumped when a received
 * message is filed or staff edit a ticket) and re-reads the queue only when a counter moved, or after a minute
 * without a re-read (a safety net: a colleague's claim, status change, reply or note
 * bumps its mailbox's counter too). A re-read costs 10 DynamoDB requests, the counters 1
 * (tests/app/test_app_changes.py); the 15 s polling made 4 re-reads a minute, 40 requests.
 * So at most REREADS_PER_MINUTE re-reads in any minute: 20 + 2 x 10 = 40 at worst, 30
 * when nothing arrives (bench/RESULTS.md). Beyond that, a burst's mail is counted in the
 * title at once and listed at the next allowed re-read. A hidden tab reads the counters
 * only, every HIDDEN_MS (the title and notifications need nothing more: 4 requests a
 * minute), and the counters and the whole queue at once when shown. With a ticket open the
 * same read brings its presence counter (readCounters), so a colleague's arrival shows
 * within a tick for no request more.
 *
 * console.js calls InboundNotify(desk) once; nothing here is global but that function.
 * The tone is made with WebAudio (no file to fetch; the page's CSP allows none).
 */
'use strict';

window.InboundNotify = (desk) => {
  const { api, el, $, state, openTicket, reload, touchPresence } = desk;
  const { t } = window.InboundI18n;
  const CHANGES_MS = 3000;
  const HIDDEN_MS = 15000;
  const REREADS_PER_MINUTE = 2;
  const MINUTE_MS = 60000;
  const SETTINGS_KEY = 'inbound.console.notify';
  const TITLE = document.title;

  let counters = null; // the last answer of GET /api/changes
  let seen = null; // the counters when the agent last looked at the console
  let timer = null;
  let readAt = 0; // when the queue was last read (here or by the console)
  let epoch = 0; // bumped by resync(): a tick that began before it drops its answer
  let rereads = []; // when this minute's re-reads ran
  let due = null; // a re-read waiting for this minute's allowance
  let audio = null;
  let settings = readSettings();

  function readSettings() {
    try { return { desktop: false, sound: false, ...JSON.parse(localStorage.getItem(SETTINGS_KEY) || '{}') }; } catch (e) { return { desktop: false, sound: false }; }
  }

  function save() { localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings)); }

  // -- counting ---------------------------------------------------------------
  function sum(answer, field) {
    return Object.values(answer.mailboxes).reduce((n, box) => n + box[field], 0);
  }

  /* New tickets in every mailbox and customer replies on the agent's tickets, since `since`. */
  function arrived(since, now) {
    return { tickets: sum(now, 'tickets') - sum(since, 'tickets'), replies: now.mine.replies - since.mine.replies };
  }

  function unseen() {
    if (!counters || !seen) return 0;
    const { tickets, replies } = arrived(seen, counters);
    return Math.max(0, tickets) + Math.max(0, replies);
  }

  function showCount() {
    const n = unseen();
    document.title = n ? `(${n}) ${TITLE}` : TITLE;
  }

  /* The agent is looking: what has arrived so far counts as seen. */
  function look() {
    if (document.hidden || !counters) return;
    seen = counters;
    showCount();
  }

  // -- polling ----------------------------------------------------------------
  function start() {
    stop();
    counters = null; seen = null; readAt = Date.now(); rereads = [];
    tick();
  }

  function stop() {
    clearTimeout(timer); clearTimeout(due);
    timer = null; due = null;
    document.title = TITLE;
  }

  async function tick() {
    timer = null;
    if (!state.session) return;
    const asked = epoch;
    try {
      const data = await readCounters();
      if (asked !== epoch) throw new Error('older than the counters resync() read');
      const before = counters;
      counters = data;
      if (!seen) seen = data;
      if (before && JSON.stringify(before) !== JSON.stringify(data)) {
        announce(before, data);
        reread();
      }
      showCount();
    } catch (err) { /* the next tick tries again */ }
    if (!document.hidden && Date.now() - readAt >= MINUTE_MS) reread();
    if (state.session && !timer) timer = setTimeout(tick, document.hidden ? HIDDEN_MS : CHANGES_MS);
  }

  /* The counters, and with a ticket open its presence counter, in the same one read: moved
     by a colleague opening it, starting to write on it or leaving it (their own console's
     PUT said what it moved it to: console.js keeps state.presenceCount), it asks who is
     there now, not at the next 15 s renewal. The presence counter is no queue change. */
  async function readCounters() {
    const here = !document.hidden && state.selected;
    const { data } = await api('GET', 'changes', here ? { query: { ticket: here } } : {});
    const { presence, ...rest } = data;
    if (presence && presence.ticket === state.selected) {
      const known = state.presenceCount;
      if (!known || known.ticket !== presence.ticket) state.presenceCount = presence;
      else if (presence.changes > known.changes) { state.presenceCount = presence; touchPresence(); }
    }
    return rest;
  }

  /* Shown again: the counters now, not at the hidden tab's slower pace. */
  function shown() {
    if (!document.hidden && timer) { clearTimeout(timer); tick(); }
    look();
  }

  /* The queue again: now, or when this minute's allowance allows; a hidden tab waits until
     it is shown (console.js reads everything then). */
  function reread() {
    if (document.hidden || due) return;
    const now = Date.now();
    rereads = rereads.filter((at) => now - at < MINUTE_MS);
    const run = () => {
      due = null; readAt = Date.now();
      rereads.push(readAt);
      if (state.session && !document.hidden) reload();
    };
    if (rereads.length < REREADS_PER_MINUTE) run();
    else due = setTimeout(run, rereads[0] + MINUTE_MS - now);
  }

  /* The console reads everything again after the agent's own change (a claim, a status, a
     triage edit) or when shown again. The counters are read first: the agent's own change
     moved them, and a tick seeing that move would read the whole queue a second time (it
     did: 13 queue requests for one claim). A colleague's change after this read still
     moves them and is re-read at the next tick; one before it is in the reload below. */
  async function resync() {
    epoch += 1; // a tick's answer in flight is older than this one
    readAt = Date.now();
    try {
      const data = await readCounters();
      if (counters) announce(counters, data);
      counters = data;
      if (!seen) seen = data;
      showCount();
    } catch (err) { /* the next tick compares with the older counters and re-reads */ }
    if (state.session) reload();
  }

  // -- telling the agent ------------------------------------------------------
  function announce(before, now) {
    const { tickets, replies } = arrived(before, now);
    if (tickets <= 0 && replies <= 0) return;
    if (settings.sound) tone();
    if (!settings.desktop || !('Notification' in window) || Notification.permission !== 'granted') return;
    if (!document.hidden && document.hasFocus()) return;  // on screen already
    const box = Object.keys(now.mailboxes).find((name) => now.mailboxes[name].tickets > (before.mailboxes[name] || { tickets: 0 }).tickets);
    const ticket = replies > 0 ? now.mine.ticket : box && now.mailboxes[box].ticket;
    const body = replies > 0 ? t('notify.replied', { ticket })
      : tickets > 1 ? t('notify.new_tickets', { ticket, mailbox: box, count: tickets }) : t('notify.new_ticket', { ticket, mailbox: box });
    const note = new Notification('inbound', { body, tag: 'inbound-changes' });
    note.addEventListener('click', () => { window.focus(); if (ticket) openTicket(ticket); note.close(); });
  }

  /* A short two-note chime, synthesised: nothing is fetched. */
  function tone() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audio = audio || new Context();
    const at = audio.currentTime;
    [880, 1320].forEach((hz, i) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = hz;
      gain.gain.setValueAtTime(0.0001, at + i * 0.12);
      gain.gain.exponentialRampToValueAtTime(0.15, at + i * 0.12 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + i * 0.12 + 0.18);
      osc.connect(gain).connect(audio.destination);
      osc.start(at + i * 0.12);
      osc.stop(at + i * 0.12 + 0.2);
    });
  }

  // -- settings ---------------------------------------------------------------
  /* The buttons in the top bar. Permission for desktop notifications is asked only here,
     when the agent presses the button (browsers refuse a request made on load). */
  function renderSettings() {
    const desktopButton = $('#notify-desktop');
    const soundButton = $('#notify-sound');
    const granted = 'Notification' in window && Notification.permission === 'granted';
    desktopButton.hidden = !('Notification' in window);
    desktopButton.setAttribute('aria-pressed', String(settings.desktop && granted));
    desktopButton.textContent = t(settings.desktop && granted ? 'notify.desktop_on' : 'notify.desktop_off');
    soundButton.setAttribute('aria-pressed', String(settings.sound));
    soundButton.textContent = t(settings.sound ? 'notify.sound_on' : 'notify.sound_off');
  }

  async function toggleDesktop() {
    if (settings.desktop && Notification.permission === 'granted') settings.desktop = false;
    else {
      const answer = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
      settings.desktop = answer === 'granted';
      if (answer === 'denied') desk.toast(t('notify.blocked'));
    }
    save(); renderSettings();
  }

  function toggleSound() {
    settings.sound = !settings.sound;
    save(); renderSettings();
    if (settings.sound) tone();  // a click may start audio: the agent hears what it will be
  }

  /* The list's marker: the customer wrote last, after a staff reply. */
  function marker(ticket) {
    return ticket.customer_replied ? el('span', { className: 'pill replied', text: t('notify.marker'), attrs: { title: t('notify.marker_title') } }) : null;
  }

  $('#notify-desktop').addEventListener('click', toggleDesktop);
  $('#notify-sound').addEventListener('click', toggleSound);
  window.addEventListener('focus', look);
  document.addEventListener('pointerdown', look);
  document.addEventListener('keydown', look);
  document.addEventListener('visibilitychange', shown);
  window.addEventListener('storage', (e) => { if (e.key === SETTINGS_KEY) { settings = readSettings(); renderSettings(); } });
  renderSettings();

  return { start, stop, resync, marker, unseen };
};
