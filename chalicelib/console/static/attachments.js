/* inbound staff console: files attached to a reply.
 *
 * console.js calls InboundAttachments(desk) once; `decorate(form, ticketId)` adds an
 * "Attach files" button and the list of files to the reply form, `ready(form)` waits for
 * the uploads still running and gives the reply's `uploads` field, `clear(form)` empties
 * the list once the reply is sent and gives back the files it held, which `restore(ticketId,
 * files)` puts back when the reply is undone. The list belongs to the ticket, not to the
 * form: a ticket drawn again (a poll, a tag) keeps its files as it keeps its draft.
 * Nothing else is global.
 *
 * Each file goes straight to S3: the API signs a POST form for it (POST
 * api/tickets/{id}/uploads: the key, the Content-Type and the largest size S3 will take),
 * and the file is posted to the bucket with those fields, the file last (S3 ignores
 * fields after it). The API refuses files that run or render when opened before any
 * upload, and judges the stored file again when the reply is sent. File names and
 * reasons reach the page as text only, the reasons in the agent's language.
 */
'use strict';

window.InboundAttachments = (desk) => {
  const { api, el, $ } = desk;
  const { t, bytes, reason } = window.InboundI18n;
  const files = new Map(); // ticket id -> [{ name, size, state, key, reason, done }]

  function listOf(form) {
    const ticketId = form.dataset.ticket;
    if (!files.has(ticketId)) files.set(ticketId, []);
    return files.get(ticketId);
  }

  /* The reply form on screen now: the one an upload started in may have been drawn again. */
  function current(form) {
    if (form.isConnected) return form;
    const shown = $('#reply-form');
    return shown && shown.dataset.ticket === form.dataset.ticket ? shown : form;
  }

  function render(form) {
    const list = $('.reply-files', form);
    if (!list) return;
    list.replaceChildren(...listOf(form).map((f) => el('li', { className: `chip file-${f.state}` },
      el('span', { className: 'file-name', text: f.name }),
      // A file put back after a reload has no size the page knows (the API names the key only).
      el('span', { className: 'muted', text: ` ${f.size == null ? '' : `${bytes(f.size)} · `}${t(`attach.state_${f.state}`)}` }),
      f.reason ? el('span', { className: 'file-reason', text: ` ${f.reason}` }) : null,
      el('button', {
        type: 'button', className: 'chip-remove', text: '×',
        attrs: { 'aria-label': t('attach.remove', { name: f.name }), title: t('attach.remove', { name: f.name }) },
        on: { click: () => { files.set(form.dataset.ticket, listOf(form).filter((x) => x !== f)); render(current(form)); } },
      }))));
    list.hidden = !listOf(form).length;
  }

  async function upload(form, ticketId, file) {
    const entry = { name: file.name, size: file.size, state: 'uploading', key: '', reason: '' };
    listOf(form).push(entry);
    render(form);
    entry.done = (async () => {
      try {
        const body = { filename: file.name, content_type: file.type || 'application/octet-stream', size: file.size };
        const { data } = await api('POST', `tickets/${encodeURIComponent(ticketId)}/uploads`, { body });
        const post = new FormData();
        for (const [name, value] of Object.entries(data.fields)) post.append(name, value);
        post.append('file', file); // last: S3 reads no field after the file
        const answer = await fetch(data.url, { method: 'POST', body: post, credentials: 'omit', referrerPolicy: 'no-referrer' });
        if (!answer.ok) {
          const code = (/<Code>([^<]*)<\/Code>/.exec(await answer.text()) || [])[1] || `HTTP ${answer.status}`;
          throw Object.assign(new Error(code), { said: t('attach.refused_by_storage', { code }) });
        }
        Object.assign(entry, { state: 'ready', key: data.key });
      } catch (err) {
        // In the agent's language: the API's refusal by its code (i18n.js reason), the storage's
        // refusal as said above; the post to S3 failing on the way (the browser's own English,
        // "Failed to fetch") as the catalogue says it.
        const said = err.code ? reason(err) : err.said || t('attach.storage_unreachable');
        Object.assign(entry, { state: 'failed', reason: said });
      }
      render(current(form));
    })();
  }

  function decorate(form, ticketId) {
    form.dataset.ticket = ticketId;
    const picker = el('input', {
      type: 'file', multiple: true, hidden: true, className: 'reply-file-input',
      attrs: { 'aria-label': t('attach.button') },
      on: { change: () => { for (const file of picker.files) upload(form, ticketId, file); picker.value = ''; } },
    });
    const button = el('button', { type: 'button', className: 'quiet attach', text: t('attach.button'), on: { click: () => picker.click() } });
    const list = el('ul', { className: 'reply-files', hidden: true, attrs: { 'aria-label': t('attach.list') } });
    const bar = $('.compose-bar', form);
    bar.insertBefore(button, bar.lastElementChild);
    form.insertBefore(list, bar);
    form.append(picker);
    render(form);
  }

  /* The reply's `uploads` once every upload has finished; a failed one stops the send. */
  async function ready(form) {
    await Promise.all(listOf(form).map((f) => f.done));
    const failed = listOf(form).find((f) => f.state === 'failed');
    if (failed) throw Object.assign(new Error(failed.reason), { reason: t('attach.failed_first', { name: failed.name, reason: failed.reason }) });
    const keys = listOf(form).map((f) => f.key);
    return keys.length ? { uploads: keys } : {};
  }

  function clear(form) {
    const taken = listOf(form);
    files.set(form.dataset.ticket, []);
    render(form);
    return taken;
  }

  function restore(ticketId, taken) {
    files.set(ticketId, [...taken, ...(files.get(ticketId) || [])]);
    const form = $('#reply-form');
    if (form && form.dataset.ticket === ticketId) render(form);
  }

  return { decorate, ready, clear, restore };
};
