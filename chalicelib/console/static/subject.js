/* inbound staff console: editing a ticket's subject.
 *
 * console.js calls InboundSubject(desk) once; `heading(ticket)` gives the ticket head's
 * subject with a "Rename" button beside it. Rename turns it into a field: Enter (or Save)
 * sends PATCH api/tickets/{id} {subject}, Esc (or Cancel) goes back. A ticket split out of
 * a reply starts as "Re: <the old question>"; replies carry the new subject, the thread
 * records who renamed it. The field survives the head being drawn again (a poll, a
 * colleague's edit) as a draft does. Nothing else is global.
 */
'use strict';

window.InboundSubject = (desk) => {
  const { api, el, toast, showAlert, openTicket, refresh } = desk;
  const { t } = window.InboundI18n;
  const MAX_CHARS = 200; // the API's limit (services/ticket_desk.py)
  let editing = null; // { ticket, value } while the field is open

  function shown(ticket) {
    return el('h2', { className: 'subject', text: ticket.subject || t('ticket.no_subject'), attrs: { title: ticket.subject } });
  }

  function heading(ticket) {
    if (editing && editing.ticket === ticket.id) return field(ticket);
    if (editing) editing = null; // another ticket opened: the unsaved name goes
    const rename = el('button', {
      type: 'button', className: 'quiet rename', text: t('subject.rename'),
      attrs: { title: t('subject.rename_title') },
      on: { click: () => { editing = { ticket: ticket.id, value: ticket.subject || '' }; redraw(ticket); } },
    });
    return el('div', { className: 'subject-row' }, shown(ticket), rename);
  }

  function redraw(ticket) {
    const row = document.querySelector('#ticket .subject-row');
    if (!row) return;
    const next = heading(ticket);
    row.replaceWith(next);
    const input = next.querySelector('input');
    (input || next.querySelector('button.rename')).focus();
    if (input) input.select();
  }

  function field(ticket) {
    const alert = el('p', { className: 'alert', attrs: { role: 'alert' }, hidden: true });
    const input = el('input', {
      type: 'text', name: 'subject', value: editing.value, maxLength: MAX_CHARS, required: true,
      attrs: { 'aria-label': t('subject.label') },
      on: {
        input: () => { editing.value = input.value; },
        keydown: (e) => { if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); cancel(); } },
      },
    });
    const cancel = () => { editing = null; redraw(ticket); };
    const save = el('button', { type: 'submit', className: 'primary', text: t('subject.save') });
    async function submit(event) {
      event.preventDefault();
      const subject = input.value.trim();
      if (!subject) { showAlert(alert, { reason: t('subject.empty') }); return; }
      if (subject === ticket.subject) { cancel(); return; }
      save.disabled = true;
      try {
        await api('PATCH', `tickets/${encodeURIComponent(ticket.id)}`, { body: { subject } });
        editing = null;
        toast(t('subject.saved', { id: ticket.id }));
        await openTicket(ticket.id); // the thread's new line, the head's new subject
        refresh(); // the queue lists it by its new name
      } catch (err) {
        save.disabled = false;
        showAlert(alert, err);
      }
    }
    return el('div', { className: 'subject-row editing' },
      el('form', { className: 'subject-form', on: { submit } },
        input,
        save,
        el('button', { type: 'button', className: 'quiet', text: t('subject.cancel'), on: { click: cancel } })),
      alert);
  }

  return { heading };
};
