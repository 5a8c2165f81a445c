/* inbound staff console: saved replies, the agent's signature, and the reply's preview.
 *
 * console.js calls InboundReplies(desk) once with what it shares, and `attach(form, ticket)`
 * for each reply form it draws; nothing here is global but that one function.
 *  - The picker: "/" typed at the start of a line or after a space (or the "Saved replies"
 *    button) opens the ticket's mailbox's saved replies, filled by the server with this
 *    ticket's values (GET /api/replies?ticket=...). Typing filters, ↑/↓ choose, Enter or Tab
 *    insert in place of the "/…" typed, Esc closes and takes the "/…" out again.
 *  - The reply is markdown; "Preview" shows it as the customer will get it, signature
 *    included (POST /api/composer/preview: the server's renderer, the one that sends), in a
 *    sandbox="" frame as mail is shown. The signature is added by the server at send, so
 *    the composer only says which one will be.
 *  - "Settings" (everyone) sets one's own display name and signature (PUT /api/profile) and
 *    lists the mailbox's saved replies; an admin also creates, edits and deletes them there.
 * Data from the API reaches the page as text only, but for the preview's HTML in its frame.
 */
'use strict';

window.InboundReplies = (desk) => {
  const { api, el, $, toast, showAlert, state } = desk;
  const { t, reason } = window.InboundI18n;
  const PREVIEW_DELAY_MS = 400;
  // What a saved reply may hold (chalicelib/domain/saved_replies.py); {{name|fallback}} too.
  const PLACEHOLDERS = ['customer_name', 'customer_first_name', 'customer_email', 'ticket_id', 'ticket_subject', 'agent_name', 'mailbox']
    .map((name) => `{{${name}}}`).join(' ');
  const cache = new Map(); // ticket id -> {at, replies: a promise of its filled saved replies}
  const REREAD_MS = 60000;
  let profile = null; // the agent's own {display_name, signature}, read once per session

  function claims() {
    try {
      const part = state.session.idToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      return JSON.parse(atob(part));
    } catch (e) { return {}; }
  }
  function isAdmin() {
    const groups = state.session && state.session.idToken ? claims()['cognito:groups'] : null;
    return Array.isArray(groups) && groups.includes('admin');
  }
  async function ownProfile() {
    if (!profile) profile = api('GET', 'profile').then(({ data }) => data).catch(() => { profile = null; return null; });
    return profile;
  }
  /* Read again after a minute: a colleague may have added one meanwhile. */
  function filledFor(ticketId) {
    const kept = cache.get(ticketId);
    if (kept && Date.now() - kept.at < REREAD_MS) return kept.replies;
    const replies = api('GET', 'replies', { query: { ticket: ticketId } })
      .then(({ data }) => data.replies)
      .catch((err) => { cache.delete(ticketId); throw err; });
    cache.set(ticketId, { at: Date.now(), replies });
    return replies;
  }

  // -- the picker ----------------------------------------------------------------
  function picker(area, ticket) {
    const list = el('ul', { className: 'reply-picker', id: `reply-picker-${ticket.id}`, hidden: true, attrs: { role: 'listbox', 'aria-label': t('replies.picker') } });
    let open = false; let from = -1; let chosen = 0; let shown = [];

    function close() { open = false; list.hidden = true; area.setAttribute('aria-expanded', 'false'); }
    function query() { return area.value.slice(from + 1, area.selectionStart).toLowerCase(); }

    async function show() {
      let replies;
      try { replies = await filledFor(ticket.id); } catch (err) { close(); toast(t('replies.load_failed', { reason: reason(err) })); return; }
      if (!open) return;
      const q = query();
      shown = replies.filter((r) => r.title.toLowerCase().includes(q) || r.body.toLowerCase().includes(q));
      chosen = Math.min(chosen, Math.max(shown.length - 1, 0));
      list.replaceChildren(...(shown.length ? shown.map((r, n) => el('li', {
        className: n === chosen ? 'active' : '', id: `${list.id}-${n}`,
        attrs: { role: 'option', 'aria-selected': n === chosen },
        on: { mousedown: (e) => { e.preventDefault(); chosen = n; insert(); } },
      }, el('strong', { text: r.title }), el('span', { className: 'muted', text: r.filled.replace(/\s+/g, ' ').slice(0, 90) })))
        : [el('li', { className: 'muted empty', text: replies.length ? t('replies.none_match') : t('replies.none_saved') })]));
      if (shown.length) area.setAttribute('aria-activedescendant', `${list.id}-${chosen}`);
      const opening = list.hidden;
      list.hidden = false;
      if (opening) list.scrollIntoView({ block: 'nearest' });
      else if (shown.length) list.children[chosen].scrollIntoView({ block: 'nearest' });
    }

    function start(at) { open = true; from = at; chosen = 0; area.setAttribute('aria-expanded', 'true'); show(); }

    function insert() {
      const reply = shown[chosen];
      if (!reply) return;
      const end = area.selectionStart;
      area.setRangeText(reply.filled, from, end, 'end');
      close();
      area.dispatchEvent(new Event('input', { bubbles: true })); // the draft keeps it
      area.focus();
    }

    area.setAttribute('aria-controls', list.id);
    area.setAttribute('aria-autocomplete', 'list');
    area.addEventListener('input', (e) => {
      if (e.isTrusted === false) return;
      const at = area.selectionStart;
      if (open) { if (at <= from || /\s/.test(area.value.slice(from + 1, at)) || area.value[from] !== '/') close(); else show(); return; }
      if (e.data === '/' && (at === 1 || /\s/.test(area.value[at - 2]))) start(at - 1);
    });
    area.addEventListener('keydown', (e) => {
      if (!open) return;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        if (shown.length) chosen = (chosen + (e.key === 'ArrowDown' ? 1 : shown.length - 1)) % shown.length;
        show();
      } else if ((e.key === 'Enter' || e.key === 'Tab') && !e.ctrlKey && !e.metaKey && shown.length) {
        e.preventDefault();
        insert();
      } else if (e.key === 'Escape') {
        e.preventDefault(); e.stopPropagation();
        // The "/…" typed was a question to the picker, not words for the customer.
        area.setRangeText('', from, Math.max(from, area.selectionStart), 'start');
        close();
        area.dispatchEvent(new Event('input', { bubbles: true })); // the draft keeps it
      }
    });
    area.addEventListener('blur', close);
    return {
      list,
      openAtCaret() {
        area.focus();
        const at = area.selectionStart;
        area.setRangeText('/', at, area.selectionEnd, 'end');
        start(at);
      },
    };
  }

  // -- the preview -------------------------------------------------------------------
  function preview(area) {
    const frame = el('iframe', { className: 'reply-preview', title: t('replies.preview_title'), hidden: true, attrs: { sandbox: '', referrerpolicy: 'no-referrer' } });
    let timer = null; let asked = 0;
    async function draw() {
      const mine = ++asked;
      try {
        const { data } = await api('POST', 'composer/preview', { body: { text: area.value } });
        if (mine !== asked || frame.hidden) return;
        const policy = "default-src 'none'; style-src 'unsafe-inline'";
        frame.srcdoc = `<!doctype html><meta http-equiv="Content-Security-Policy" content="${policy}">`
          // The page's policy (inherited) allows style attributes, no <style> element.
          + `<body style="font:14px/1.45 system-ui,sans-serif;margin:.5rem;color:#1f2328">${data.html}</body>`;
      } catch (err) { toast(t('replies.preview_failed', { reason: reason(err) })); }
    }
    area.addEventListener('input', () => { if (!frame.hidden) { clearTimeout(timer); timer = setTimeout(draw, PREVIEW_DELAY_MS); } });
    return {
      frame,
      toggle() {
        frame.hidden = !frame.hidden;
        if (!frame.hidden) { draw(); frame.scrollIntoView({ block: 'nearest' }); }
        return !frame.hidden;
      },
    };
  }

  /* The reply form's tools: the picker, the preview, which signature goes out. */
  function attach(form, ticket) {
    const area = form.elements.text;
    const pick = picker(area, ticket);
    const look = preview(area);
    const signed = el('span', { className: 'muted signed' });
    const previewButton = el('button', { type: 'button', className: 'quiet', text: t('replies.preview'), attrs: { 'aria-pressed': 'false' } });
    previewButton.addEventListener('click', () => previewButton.setAttribute('aria-pressed', String(look.toggle())));
    const tools = el('div', { className: 'reply-tools' },
      el('button', { type: 'button', className: 'quiet', text: t('replies.insert'), title: t('replies.insert_title'), on: { click: pick.openAtCaret } }),
      previewButton,
      el('span', { className: 'muted markdown-hint', text: t('replies.markdown_hint') }),
      signed);
    area.after(pick.list, tools, look.frame);
    ownProfile().then((mine) => showSigned(signed, mine));
  }

  function showSigned(node, mine) {
    const first = mine && mine.signature ? mine.signature.split('\n')[0] : '';
    node.textContent = first ? t('replies.signed_as', { line: first }) : t('replies.unsigned');
  }

  // -- settings: one's own name and signature; the mailbox's saved replies ------------------
  const dialog = el('dialog', { id: 'replies-dialog', className: 'picker replies', attrs: { 'aria-label': t('replies.settings') } });
  const button = el('button', { type: 'button', className: 'quiet', id: 'replies-open', text: t('replies.settings'), hidden: true, title: t('replies.settings_title') });

  async function act(method, path, body, done) {
    try {
      const { data } = await api(method, path, body === undefined ? {} : { body });
      showAlert($('.alert', dialog), null);
      toast(done);
      cache.clear();
      return data;
    } catch (err) { showAlert($('.alert', dialog), err); return null; }
  }

  function profileForm(mine) {
    const form = el('form', { className: 'profile-form', on: { submit: async (e) => {
      e.preventDefault();
      const saved = await act('PUT', 'profile', { display_name: form.elements.display_name.value, signature: form.elements.signature.value }, t('replies.profile_saved'));
      if (saved) { profile = Promise.resolve(saved); for (const line of document.querySelectorAll('.reply-tools .signed')) showSigned(line, saved); }
    } } },
      el('label', {}, t('replies.display_name'), el('input', { name: 'display_name', value: mine.display_name, maxLength: 64, placeholder: t('replies.display_name_hint') })),
      el('label', {}, t('replies.signature'), el('textarea', { name: 'signature', rows: 3, value: mine.signature, maxLength: 2000 })),
      el('div', { className: 'dialog-bar' }, el('button', { type: 'submit', className: 'primary', text: t('replies.save_profile') })));
    return form;
  }

  function replyForm(mailbox, reply, reload) {
    const form = el('form', { className: 'saved-reply-form', on: { submit: async (e) => {
      e.preventDefault();
      const body = { title: form.elements.title.value, body: form.elements.body.value };
      const done = reply
        ? await act('PUT', `replies/${encodeURIComponent(mailbox)}/${encodeURIComponent(reply.id)}`, body, t('replies.saved', { title: body.title }))
        : await act('POST', 'replies', { mailbox, ...body }, t('replies.saved', { title: body.title }));
      if (done) reload();
    } } },
      el('input', { name: 'title', required: true, maxLength: 100, value: reply ? reply.title : '', placeholder: t('replies.title'), attrs: { 'aria-label': t('replies.title') } }),
      el('textarea', { name: 'body', rows: 5, required: true, value: reply ? reply.body : '', placeholder: t('replies.body_hint'), attrs: { 'aria-label': t('replies.body') } }),
      el('div', { className: 'dialog-bar' },
        reply ? el('button', { type: 'button', className: 'quiet', text: t('replies.cancel'), on: { click: reload } }) : null,
        el('button', { type: 'submit', className: 'primary', text: reply ? t('replies.save') : t('replies.create') })));
    return form;
  }

  async function loadReplies(section, mailbox) {
    const reload = () => loadReplies(section, mailbox);
    let replies = [];
    try { replies = (await api('GET', 'replies', { query: { mailbox } })).data.replies; } catch (err) { showAlert($('.alert', dialog), err); }
    const admin = isAdmin();
    const rows = replies.map((r) => el('li', { dataset: { reply: r.id } },
      el('strong', { text: r.title }), el('span', { className: 'muted', text: r.body.replace(/\s+/g, ' ').slice(0, 120) }),
      admin ? el('span', { className: 'staff-actions' },
        el('button', { type: 'button', className: 'quiet', text: t('replies.edit'), on: { click: () => section.replaceChildren(el('h3', { text: r.title }), replyForm(mailbox, r, reload)) } }),
        el('button', { type: 'button', className: 'quiet danger', text: t('replies.delete'), on: { click: async () => {
          if (window.confirm(t('replies.delete_confirm', { title: r.title }))) { await act('DELETE', `replies/${encodeURIComponent(mailbox)}/${encodeURIComponent(r.id)}`, undefined, t('replies.deleted', { title: r.title })); reload(); }
        } } })) : null));
    section.replaceChildren(
      el('h3', { text: t('replies.of_mailbox', { mailbox }) }),
      el('ul', { className: 'saved-replies' }, ...(rows.length ? rows : [el('li', { className: 'muted', text: t('replies.none_saved') })])),
      admin ? replyForm(mailbox, null, reload) : el('p', { className: 'muted', text: t('replies.admins_manage') }),
      el('p', { className: 'muted', text: t('replies.placeholders', { names: PLACEHOLDERS }) }));
  }

  async function openSettings() {
    const mine = (await ownProfile()) || { display_name: '', signature: '' };
    const section = el('section', { className: 'saved-replies-section' });
    dialog.replaceChildren(
      el('h2', { text: t('replies.settings') }),
      el('p', { className: 'alert', attrs: { role: 'alert' }, hidden: true }),
      profileForm(mine), section,
      el('div', { className: 'dialog-bar' }, el('button', { type: 'button', text: t('replies.close'), on: { click: () => dialog.close() } })));
    dialog.showModal();
    loadReplies(section, $('#mailbox').value || state.mailbox);
  }

  function sync() {
    button.hidden = $('#desk-tools').hidden;
    if (button.hidden) { profile = null; cache.clear(); if (dialog.open) dialog.close(); }
  }
  button.addEventListener('click', openSettings);
  $('#sign-out').before(button);
  document.body.append(dialog);
  new MutationObserver(sync).observe($('#desk-tools'), { attributes: true, attributeFilter: ['hidden'] });
  sync();
  return { attach };
};
