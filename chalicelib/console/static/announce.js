/* inbound staff console: announcements, for admins (Cognito group `admin`).
 *
 * console.js calls InboundAnnounce(desk) once with what it shares; nothing here is global
 * but that one function. An "Announcements" button appears in the top bar for an admin's
 * session (the API checks the same claim). One dialog, three views:
 *  - the list of announcements, newest first;
 *  - compose: the audience (requesters of tickets by mailbox, status, tag and creation
 *    date, or an uploaded list), the subject and the text and HTML bodies with {name}
 *    {email} {ticket}, and a preview of the first recipient's mail (nothing stored);
 *  - the report: a test send to oneself, the send, a live count while it sends, a funnel
 *    (an SVG drawn here: no remote script, no chart library) and every recipient's status.
 * Data from the API reaches the page as text only; the preview's HTML (sanitised by the
 * server) is shown in an <iframe sandbox> document with its own policy, as mail is.
 */
'use strict';

window.InboundAnnounce = (desk) => {
  const { api, el, $, toast, showAlert, state } = desk;
  const { t, when, number, day, readDay, readBack, refusalLine } = window.InboundI18n;
  const SVG = 'http://www.w3.org/2000/svg';
  const POLL_MS = 2000;
  const STATUSES = ['new', 'open', 'pending', 'solved', 'closed'];
  const STATES = ['pending', 'sending', 'sent', 'delivered', 'bounced', 'complained', 'unsubscribed', 'refused'];
  const dialog = el('dialog', { id: 'announce-dialog', className: 'picker announce', attrs: { 'aria-label': t('announce.title') } });
  const button = el('button', { type: 'button', className: 'quiet', id: 'announce-open', text: t('announce.button'), hidden: true, title: t('announce.button_title') });
  let poll = null;

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
  function mailboxes() { return [...$('#mailbox').options].map((o) => o.value).filter(Boolean); }
  function stop() { clearTimeout(poll); poll = null; }

  function view(title, ...body) {
    stop();
    dialog.replaceChildren(
      el('h2', { text: title }),
      el('p', { className: 'alert', attrs: { role: 'alert' }, hidden: true }),
      ...body,
      el('div', { className: 'dialog-bar' }, el('button', { type: 'button', text: t('announce.close'), on: { click: () => dialog.close() } })));
  }
  const alertBox = () => $('.alert', dialog);

  // -- the list ------------------------------------------------------------------
  async function list() {
    const rows = el('tbody');
    view(t('announce.title'),
      el('div', { className: 'announce-tools' }, el('button', { type: 'button', className: 'primary', id: 'announce-new', text: t('announce.new'), on: { click: compose } })),
      el('table', { className: 'staff-list announce-list' },
        el('thead', {}, el('tr', {}, ...['announce.subject', 'announce.state', 'announce.recipients', 'announce.created'].map((k) => el('th', { text: t(k) })))),
        rows));
    try {
      const { data } = await api('GET', 'announcements');
      if (!data.announcements.length) rows.append(el('tr', {}, el('td', { attrs: { colspan: 4 }, className: 'muted', text: t('announce.none') })));
      for (const a of data.announcements) {
        rows.append(el('tr', { dataset: { announcement: a.id } },
          el('td', {}, el('button', { type: 'button', className: 'link', text: a.subject, on: { click: () => report(a.id) } })),
          el('td', { text: t(`announce.state_${a.state}`) }),
          el('td', { text: number(a.total) }),
          el('td', { text: when(a.created_at) })));
      }
    } catch (err) { showAlert(alertBox(), err); }
  }

  // -- compose -------------------------------------------------------------------
  function field(label, control) { return el('label', { className: 'announce-field' }, el('span', { text: label }), control); }

  function compose() {
    const boxes = mailboxes();
    const form = el('form', { className: 'announce-form', on: { submit: (e) => { e.preventDefault(); submit('preview'); } } });
    const source = (value, key) => el('label', { className: 'inline' },
      el('input', { type: 'radio', name: 'source', value, checked: value === 'tickets', on: { change: () => sync() } }), t(key));
    const byTickets = el('fieldset', { className: 'announce-audience', id: 'announce-tickets' },
      field(t('announce.tickets_mailbox'), el('select', { name: 'tickets_mailbox' },
        el('option', { value: '', text: t('announce.any_mailbox') }), ...boxes.map((b) => el('option', { value: b, text: b })))),
      el('div', { className: 'announce-statuses' }, el('span', { text: t('announce.statuses') }),
        ...STATUSES.map((s) => el('label', { className: 'inline' }, el('input', { type: 'checkbox', name: 'statuses', value: s, checked: s === 'new' || s === 'open' }), t(`status.${s}`)))),
      field(t('announce.tag'), el('input', { name: 'tag', maxLength: 64 })),
      field(t('announce.created_from'), dayField('created_from')),
      field(t('announce.created_to'), dayField('created_to')),
      el('label', { className: 'inline' }, el('input', { type: 'checkbox', name: 'include_unauthenticated' }), t('announce.include_unauthenticated')));
    const upload = el('input', { type: 'file', accept: '.txt,.csv,text/plain,text/csv', attrs: { 'aria-label': t('announce.upload') },
      on: { change: async (e) => { const file = e.target.files[0]; if (file) form.elements.list.value = await file.text(); } } });
    const byList = el('fieldset', { className: 'announce-audience', id: 'announce-list', hidden: true },
      field(t('announce.upload'), upload),
      el('textarea', { name: 'list', rows: 4, attrs: { placeholder: t('announce.list_placeholder'), 'aria-label': t('announce.list') } }));
    form.append(
      field(t('announce.from'), el('select', { name: 'mailbox' }, ...boxes.map((b) => el('option', { value: b, text: b })))),
      el('div', { className: 'announce-sources' }, el('span', { text: t('announce.audience') }), source('tickets', 'announce.from_tickets'), source('list', 'announce.from_list')),
      byTickets, byList,
      field(t('announce.subject'), el('input', { name: 'subject', required: true, maxLength: 200 })),
      el('p', { className: 'muted', text: t('announce.placeholders') }),
      field(t('announce.text'), el('textarea', { name: 'text', rows: 5, required: true })),
      field(t('announce.html'), el('textarea', { name: 'html', rows: 3, attrs: { placeholder: t('announce.html_placeholder') } })),
      el('div', { className: 'dialog-bar' },
        el('button', { type: 'button', text: t('announce.back'), on: { click: list } }),
        el('button', { type: 'submit', text: t('announce.preview') }),
        el('button', { type: 'button', className: 'primary', id: 'announce-create', text: t('announce.create'), on: { click: () => submit('create') } })),
      el('section', { className: 'announce-preview', hidden: true }));
    /* A day in the console's language (i18n.js), not <input type=date>: Chromium draws that
       in the browser's locale, US order on a German page. */
    function dayField(name) {
      const example = day(new Date().toISOString().slice(0, 10));
      return el('input', { name, className: 'day-field', attrs: { inputmode: 'numeric', autocomplete: 'off', size: 10, placeholder: example, title: t('day.title', { example }) },
        on: { input: (e) => e.target.setCustomValidity('') } });
    }
    function sync() {
      const fromList = form.elements.source.value === 'list';
      byTickets.hidden = fromList; byList.hidden = !fromList;
    }
    async function submit(action) {
      // Save as draft is no submit button: the required subject and text are checked here, as
      // Preview's submit checks them (the server's refusal read only "invalid request" in German)
      if (action === 'create' && !form.reportValidity()) return;
      const f = form.elements;
      const body = { action, mailbox: f.mailbox.value, subject: f.subject.value, text: f.text.value, html: f.html.value };
      if (f.source.value === 'list') body.list = f.list.value;
      else {
        body.statuses = [...form.querySelectorAll('input[name=statuses]:checked')].map((c) => c.value);
        for (const name of ['tickets_mailbox', 'tag']) if (f[name].value) body[name] = f[name].value;
        if (f.include_unauthenticated.checked) body.include_unauthenticated = true;
        for (const name of ['created_from', 'created_to']) {
          if (!f[name].value.trim()) continue;
          body[name] = readDay(f[name].value);
          if (body[name]) continue;
          f[name].setCustomValidity(t('day.invalid', { example: day(new Date().toISOString().slice(0, 10)) }));
          f[name].reportValidity();
          return;
        }
      }
      try {
        const { data } = await api('POST', 'announcements', { body });
        showAlert(alertBox(), null);
        if (action === 'create') { toast(t('announce.created_toast', { count: data.total })); report(data.id); } else preview(form, data);
      } catch (err) { showAlert(alertBox(), err); }
    }
    view(t('announce.new'), form);
  }

  function preview(form, data) {
    const box = $('.announce-preview', form);
    const sample = data.sample;
    box.replaceChildren(el('h3', { text: t('announce.audience_count', { count: data.audience_count }) }));
    if (data.invalid.length) box.append(el('p', { className: 'alert', text: t('announce.invalid', { lines: data.invalid.join(' · ') }) }));
    if (data.left_out_unauthenticated) box.append(el('p', { className: 'alert', id: 'announce-left-out', text: t('announce.left_out_unauthenticated', { count: data.left_out_unauthenticated }) }));
    if (sample) {
      box.append(el('dl', { className: 'announce-headers' },
        ...[['From', sample.from], ['To', sample.to], ['Subject', sample.subject], ['List-Unsubscribe', sample.list_unsubscribe], ['List-Unsubscribe-Post', sample.list_unsubscribe_post]]
          .flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })])),
      el('pre', { className: 'announce-text', text: sample.text }));
      if (sample.html) {
        const frame = el('iframe', { className: 'mail announce-html', title: t('announce.html_preview'), attrs: { sandbox: '', referrerpolicy: 'no-referrer' } });
        frame.srcdoc = `<!doctype html><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"><body style="font:14px system-ui,sans-serif;margin:12px">${sample.html}</body>`;
        box.append(frame);
      }
    }
    box.hidden = false;
  }

  // -- the report ------------------------------------------------------------------
  function funnel(a) {
    const c = a.counts;
    const out = c.sent + c.delivered + c.bounced + c.complained + c.unsubscribed;
    const stages = [
      ['announce.f_audience', a.total], ['announce.f_sent', out], ['announce.f_delivered', c.delivered + c.complained + c.unsubscribed],
      ['announce.f_opened', a.opened], ['announce.f_clicked', a.clicked],
    ];
    const losses = [['announce.f_refused', c.refused, 'bad'], ['announce.f_bounced', c.bounced, 'bad'], ['announce.f_complained', c.complained, 'bad'], ['announce.f_unsubscribed', c.unsubscribed, 'warn']];
    const width = 560, row = 28, label = 150, bar = width - label - 90;
    const svg = document.createElementNS(SVG, 'svg');
    const height = (stages.length + losses.length) * row + 16;
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.setAttribute('class', 'announce-funnel');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', t('announce.funnel'));
    const node = (tag, attrs, text) => {
      const n = document.createElementNS(SVG, tag);
      for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
      if (text !== undefined) n.textContent = text;
      svg.append(n);
    };
    const total = Math.max(a.total, 1);
    [...stages.map(([k, n]) => [k, n, 'ok']), ...losses].forEach(([key, n, tone], i) => {
      const y = 8 + i * row + (i >= stages.length ? 8 : 0);
      const w = Math.max(n ? 2 : 0, Math.round((bar * n) / total));
      const x = i < stages.length ? label + (bar - w) / 2 : label;  // the funnel is centred; losses start left
      node('text', { x: label - 8, y: y + 15, 'text-anchor': 'end', class: 'funnel-label' }, t(key));
      node('rect', { x, y, width: w, height: row - 8, rx: 3, class: `funnel-bar funnel-${tone}` });
      node('text', { x: label + bar + 8, y: y + 15, class: 'funnel-count' }, t('announce.f_count', { n: number(n), pct: Math.round((100 * n) / total) }));
    });
    return svg;
  }

  function progress(a) {
    const done = a.total - a.counts.pending - a.counts.sending;
    return el('div', { className: 'announce-progress', attrs: { role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': a.total, 'aria-valuenow': done } },
      el('div', { className: 'announce-progress-bar', attrs: { style: `width:${a.total ? (100 * done) / a.total : 100}%` } }),
      el('span', { className: 'announce-progress-text', text: t('announce.progress', { done: number(done), total: number(a.total) }) }));
  }

  function recipientRows(recipients, filter) {
    return recipients.filter((r) => !filter || (filter === 'opened' ? r.opens > 0 : filter === 'clicked' ? r.clicks > 0 : r.state === filter)).map((r) => el('tr', { dataset: { recipient: r.address, state: r.state } },
      el('td', { text: r.name ? `${r.name} <${r.address}>` : r.address }),
      el('td', {}, el('span', { className: `announce-state state-${r.state}`, text: t(`announce.state_${r.state}`) })),
      el('td', { text: r.opens ? number(r.opens) : '' }),
      el('td', { text: r.clicks ? number(r.clicks) : '' }),
      // a refusal by its code in the agent's language; a bounce's diagnostic is the
      // receiving server's own words, shown as written
      el('td', { className: 'announce-reason', text: r.state === 'refused' ? refusalLine(r.reason || '') : r.reason })));
  }

  async function report(id) {
    let a;
    try { a = (await api('GET', `announcements/${encodeURIComponent(id)}`)).data; } catch (err) { showAlert(alertBox(), err); return; }
    const me = (claims().email || '').toLowerCase();
    const live = el('div', { className: 'announce-live', attrs: { 'aria-live': 'polite' } }, progress(a));
    const chart = el('div', { className: 'announce-chart' }, funnel(a));
    const rows = el('tbody');
    const filter = el('select', { attrs: { 'aria-label': t('announce.filter') }, on: { change: () => rows.replaceChildren(...recipientRows(a.recipients, filter.value)) } },
      el('option', { value: '', text: t('announce.all') }),
      ...[...STATES, 'opened', 'clicked'].map((s) => el('option', { value: s, text: t(`announce.state_${s}`) })));
    rows.replaceChildren(...recipientRows(a.recipients, ''));
    const act = async (body, done) => {
      try { await api('POST', `announcements/${encodeURIComponent(id)}`, { body }); showAlert(alertBox(), null); toast(done); if (body.action === 'send') report(id); } catch (err) { showAlert(alertBox(), err); }
    };
    const testTo = el('input', { type: 'email', value: me, attrs: { 'aria-label': t('announce.test_to') } });
    const tools = el('div', { className: 'announce-tools' },
      testTo,
      el('button', { type: 'button', id: 'announce-test', text: t('announce.test'), on: { click: () => act({ action: 'test', to: testTo.value.trim() }, t('announce.tested', { to: testTo.value.trim() })) } }),
      el('button', { type: 'button', className: 'primary', id: 'announce-send', text: t('announce.send', { count: a.counts.pending }), hidden: !a.counts.pending,
        on: { click: () => { if (window.confirm(t('announce.send_confirm', { count: a.counts.pending }))) act({ action: 'send' }, t('announce.queued')); } } }));
    view(a.subject,
      el('p', { className: 'muted', text: `${t(`announce.state_${a.state}`)}${a.stopped_reason ? ` (${readBack('stopped.', a.stopped_reason)})` : ''} · ${a.audience} · ${t('announce.by', { who: a.created_by || '—', at: when(a.created_at) })}` }),
      tools, live, chart,
      el('div', { className: 'announce-tools' }, filter, el('button', { type: 'button', text: t('announce.back'), on: { click: list } })),
      el('div', { className: 'announce-table' }, el('table', { className: 'staff-list announce-recipients' },
        el('thead', {}, el('tr', {}, ...['announce.recipient', 'announce.state', 'announce.opens', 'announce.clicks', 'announce.reason'].map((k) => el('th', { text: t(k) })))),
        rows)));
    // Live while it sends: the counts alone every POLL_MS, the whole report once nothing is left.
    const busy = (x) => x.state === 'sending' && (x.counts.pending + x.counts.sending) > 0;
    if (!busy(a)) return;
    const tick = async () => {
      if (!dialog.open) { stop(); return; }
      try {
        const counts = (await api('GET', `announcements/${encodeURIComponent(id)}?recipients=0`)).data;
        live.replaceChildren(progress(counts));
        chart.replaceChildren(funnel(counts));
        if (!busy(counts)) { report(id); return; }
      } catch (err) { showAlert(alertBox(), err); }
      poll = setTimeout(tick, POLL_MS);
    };
    poll = setTimeout(tick, POLL_MS);
  }

  function open() { dialog.showModal(); list(); }
  function sync() { button.hidden = $('#desk-tools').hidden || !isAdmin(); if (button.hidden && dialog.open) dialog.close(); }
  button.addEventListener('click', open);
  dialog.addEventListener('close', stop);
  $('#sign-out').before(button);
  document.body.append(dialog);
  new MutationObserver(sync).observe($('#desk-tools'), { attributes: true, attributeFilter: ['hidden'] });
  sync();
  return { sync, report };
};
