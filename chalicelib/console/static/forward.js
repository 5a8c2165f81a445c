/* inbound staff console: forwarding a message, or the whole ticket, to any address.
 *
 * console.js calls InboundForward(desk) once; `messageButton(ticket, m)` gives the
 * "Forward" button of one mail in the thread (none for notes and the audit trail),
 * `ticketButton(ticket)` the ticket head's "Forward ticket". Either opens one dialog: the
 * address, an optional note, Send. The API sends it through the outbound guard (a
 * suppressed address is refused with the reason) and records it in the thread, which is
 * then read again so the line shows. Nothing else is global.
 */
'use strict';

window.InboundForward = (desk) => {
  const { api, el, $, toast, showAlert, openTicket } = desk;
  const { t } = window.InboundI18n;
  const FORWARDED = new Set(['customer', 'staff', 'auto_reply']);
  const dialog = el('dialog', { id: 'forward-dialog', className: 'picker forward', attrs: { 'aria-labelledby': 'forward-title' } });
  document.body.append(dialog);

  function open(ticket, message) {
    const to = el('input', { type: 'email', name: 'to', required: true, autocomplete: 'email', attrs: { 'aria-label': t('forward.to'), placeholder: 'engineering@example.com' } });
    const note = el('textarea', { name: 'note', rows: 4, attrs: { 'aria-label': t('forward.note'), placeholder: t('forward.note_placeholder') } });
    const alert = el('p', { className: 'alert', attrs: { role: 'alert' }, hidden: true });
    const send = el('button', { type: 'submit', className: 'primary', text: t('forward.send') });
    const what = message ? t('forward.what_message', { sender: message.sender }) : t('forward.what_ticket', { id: ticket.id });
    const form = el('form', { className: 'forward-form', on: { submit: (e) => { e.preventDefault(); submit(); } } },
      el('h2', { id: 'forward-title', text: t('forward.title') }),
      el('p', { className: 'muted', text: what }),
      el('label', {}, t('forward.to'), to),
      el('label', {}, t('forward.note'), note),
      alert,
      el('div', { className: 'compose-bar' },
        el('button', { type: 'button', className: 'quiet', text: t('forward.cancel'), on: { click: () => dialog.close() } }),
        send));

    async function submit() {
      if (!to.value.trim()) { showAlert(alert, { reason: t('forward.to_missing') }); return; }
      send.disabled = true;
      const body = { to: to.value.trim(), ...(note.value.trim() ? { note: note.value } : {}), ...(message ? { message_key: message.key } : {}) };
      try {
        const { data } = await api('POST', `tickets/${encodeURIComponent(ticket.id)}/forward`, { body });
        dialog.close();
        toast(t('forward.done', { to: data.to }));
        await openTicket(ticket.id);
      } catch (err) {
        showAlert(alert, err);
        send.disabled = false;
      }
    }

    dialog.replaceChildren(form);
    dialog.showModal();
    to.focus();
  }

  function messageButton(ticket, m) {
    if (!FORWARDED.has(m.kind)) return null;
    return el('button', { type: 'button', className: 'link forward-message', text: t('forward.button'), dataset: { forward: m.key }, on: { click: () => open(ticket, m) } });
  }

  function ticketButton(ticket) {
    return el('button', { type: 'button', className: 'forward-ticket', text: t('forward.ticket_button'), on: { click: () => open(ticket, null) } });
  }

  return { messageButton, ticketButton };
};
