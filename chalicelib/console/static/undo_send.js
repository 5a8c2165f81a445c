/* inbound staff console: undo-send.
 *
 * console.js asks the API to hold each reply for the stage's send delay (`undo: true`);
 * when the API holds it (202, services/held_replies.py) console.js calls
 * `track(ticketId, held, text, files)`: a bar says "Sending… Undo" until the reply's time has come.
 * Undo asks the API to cancel it (DELETE api/tickets/{id}/held/{hold}); the API answers
 * for certain: cancelled (the text and the attached files go back into the reply box) or
 * too late (it was sent).
 * After its time the bar follows the reply until it is sent, or shows why it was refused.
 * A stage with no delay answers 201 at once and nothing here runs. Nothing else is global.
 * After a reload console.js calls `resume(ticketId)` when a ticket opens: the agent's replies
 * on it still held (GET api/tickets/{id}/held/waiting) get their bar again, Undo included
 * (their text and their files, uploaded already, come back on Undo).
 */
'use strict';

window.InboundUndoSend = (desk) => {
  const { api, el, $, toast, openTicket, state, attachments } = desk;
  const { t, reason } = window.InboundI18n;
  const FOLLOW_MS = 1500; // how often a reply past its time is asked about until it has left
  const bar = el('div', { id: 'undo-send', className: 'toast undo-send', hidden: true, attrs: { role: 'status', 'aria-live': 'polite' } });
  document.body.append(bar);

  function path(ticketId, held) {
    return `tickets/${encodeURIComponent(ticketId)}/held/${encodeURIComponent(held.held)}`;
  }

  function show(message, undo) {
    bar.replaceChildren(el('span', { text: message }));
    if (undo) bar.append(el('button', { type: 'button', className: 'link', text: t('undo.button'), on: { click: undo } }));
    bar.hidden = false;
  }

  function restore(ticketId, text, files) {
    attachments.restore(ticketId, files); // uploaded already: the cancelled reply left them in S3
    if (state.selected !== ticketId) return;
    const area = $('#reply-form textarea');
    if (!area) return;
    area.value = text;
    area.dispatchEvent(new Event('input', { bubbles: true })); // console.js keeps it as the draft again
    area.focus();
  }

  /* Why a held reply was refused, in the agent's language: the stored refusal's code (and the
     values its sentence names) said as any API error is; a record kept from before codes
     were stored has its text only, shown as written. */
  function refusal(held) {
    if (!held.reason_code) return held.reason || '';
    return reason({ code: held.reason_code, reason: held.reason || '', data: held.reason_data || {} });
  }

  const tracked = new Set(); // hold ids with a bar on this page
  const resumed = new Set(); // tickets asked about since the page loaded

  async function resume(ticketId) {
    if (resumed.has(ticketId)) return;
    resumed.add(ticketId);
    let held = [];
    try { held = (await api('GET', `tickets/${encodeURIComponent(ticketId)}/held/waiting`)).data.held; } catch (err) { return; }
    // Files were uploaded before the reload: Undo lists them again by key, ready to send.
    for (const reply of held) {
      track(ticketId, reply, reply.text, (reply.files || []).map((f) => ({ name: f.name, size: null, state: 'ready', key: f.key, reason: '' })));
    }
  }

  function track(ticketId, held, text, files = []) {
    if (tracked.has(held.held)) return;
    tracked.add(held.held);
    let settled = false;
    let timer = null;
    const undo = async () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        await api('DELETE', path(ticketId, held));
        show(t('undo.cancelled'));
        restore(ticketId, text, files);
      } catch (err) {
        // Any other failure (forbidden, not found, the API unreachable) in the agent's language:
        // i18n.js `reason` says the error code's sentence (English: the server's own words).
        show(err.status === 409 ? t('undo.too_late') : t('undo.failed', { reason: reason(err) }));
      }
      setTimeout(() => { bar.hidden = true; }, 4000);
    };
    const follow = async () => {
      if (settled) return;
      let now = held;
      try { now = (await api('GET', path(ticketId, held))).data; } catch (err) { now = held; }
      if (now.state === 'waiting' || now.state === 'sending') { timer = setTimeout(follow, FOLLOW_MS); return; }
      settled = true;
      if (now.state === 'sent') {
        bar.hidden = true;
        toast(t('undo.sent'));
      } else if (now.state === 'refused') {
        show(t('undo.refused', { reason: refusal(now) }));
        restore(ticketId, text, files);
        setTimeout(() => { bar.hidden = true; }, 8000);
      }
      if (state.selected === ticketId) await openTicket(ticketId);
    };
    show(t('undo.sending'), undo);
    const wait = Math.max(0, Date.parse(held.send_at) - Math.max(Date.parse(held.held_at), Date.now()));
    timer = setTimeout(follow, wait);
  }

  return { track, resume };
};
