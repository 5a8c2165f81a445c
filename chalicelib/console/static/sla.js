/* inbound staff console: SLA due times (chalicelib/domain/sla.py).
 *
 * console.js calls InboundSla(desk) once with what it shares and uses what it returns:
 *  - itemPills(ticket): the queue item's "due in 40 minutes" / "was due 5 minutes ago",
 *    "SLA breached" and "waiting since" pills;
 *  - ticketLine(ticket): the ticket's line with both clocks (due, met, breached);
 *  - query(): {sort: 'due'} when the agent chose "Sort: due" (a mailbox's queue only: the
 *    API's ?sort=due reads one index per lane); showSort(shown) hides the toggle elsewhere;
 *  - for admins, an "SLA" button in the top bar opens the targets (GET/PUT /api/sla); saving
 *    one moves the open backlog's due times and says how many tickets moved.
 * Due times are wall-clock. Every string comes from the catalogue (i18n-*.js, sla.*).
 */
'use strict';

window.InboundSla = (desk) => {
  const { api, el, $, toast, showAlert, state, reload, refresh } = desk;
  const { t, ago, when } = window.InboundI18n;
  const SORT_KEY = 'inbound.console.sort';
  const PRIORITIES = ['urgent', 'high', 'normal', 'low'];
  let sort = 'queue';
  try { sort = localStorage.getItem(SORT_KEY) === 'due' ? 'due' : 'queue'; } catch (e) { /* private mode */ }

  const sorter = el('button', {
    type: 'button', className: 'quiet sort', id: 'sort-due',
    attrs: { 'aria-pressed': sort === 'due', title: t('sla.sort_title') },
    text: t(sort === 'due' ? 'sla.sort_due' : 'sla.sort_queue'),
    on: { click: () => choose(sort === 'due' ? 'queue' : 'due') },
  });
  $('#views').after(sorter);

  function choose(order) {
    sort = order;
    try { localStorage.setItem(SORT_KEY, order); } catch (e) { /* this page only */ }
    sorter.textContent = t(order === 'due' ? 'sla.sort_due' : 'sla.sort_queue');
    sorter.setAttribute('aria-pressed', String(order === 'due'));
    reload();
  }

  function query() { return sort === 'due' ? { sort: 'due' } : {}; }
  function showSort(shown) { sorter.hidden = !shown; }

  function past(iso) { return Date.parse(iso) <= Date.now(); }

  /* Since when the customer waits for us: the filing until a staff reply, then their last mail. */
  function waitingSince(ticket) {
    if (!['new', 'open'].includes(ticket.status)) return null;
    if (!ticket.staff_replied) return ticket.created_at;
    return ticket.customer_replied ? ticket.updated_at : null;
  }

  function itemPills(ticket) {
    const sla = ticket.sla || {};
    const pills = [];
    if (sla.breached) pills.push(el('span', { className: 'pill sla-breached', text: t('sla.breached'), attrs: { 'data-sla': 'breached' } }));
    if (sla.due) {
      const late = past(sla.due);
      pills.push(el('span', {
        className: `pill sla-due${late ? ' overdue' : ''}`,
        text: t(late ? 'sla.overdue' : 'sla.due', { ago: ago(sla.due) }),
        attrs: { 'data-sla': 'due', title: t('sla.due_title', { clock: t(`sla.clock_${sla.due_clock}`), when: when(sla.due) }) },
      }));
    }
    // Unanswered, the customer waits since the filing, which the row's "opened" already says.
    const since = waitingSince(ticket);
    if (since && since !== ticket.created_at) pills.push(el('span', { className: 'waiting', text: t('sla.waiting', { when: when(since) }), attrs: { 'data-sla': 'waiting' } }));
    return pills;
  }

  /* A clock with no target (no due time) is not shown, stopped or not. */
  function clockText(due, doneAt, doneKey, dueKey) {
    if (!due) return null;
    return doneAt ? t(doneKey, { when: when(doneAt), due: when(due) }) : t(dueKey, { when: when(due), ago: ago(due) });
  }

  function ticketLine(ticket) {
    const sla = ticket.sla || {};
    const first = clockText(sla.first_response_due, sla.first_response_at, 'sla.first_done', 'sla.first_due');
    const solved = clockText(sla.resolution_due, sla.resolved_at, 'sla.resolution_done', 'sla.resolution_due');
    if (!first && !solved) return null;
    const part = (text, breached, name) => (text ? el('span', {
      className: `sla-clock${breached ? ' breached' : ''}`, text, attrs: { 'data-clock': name },
    }) : null);
    return el('p', { className: 'sla-line', attrs: { 'data-sla': 'ticket' } },
      el('span', { className: 'muted', text: `${t('sla.label')} · ` }),
      part(first, sla.first_response_breached, 'first_response'),
      first && solved ? ' · ' : '',
      part(solved, sla.resolution_breached, 'resolution'),
      sla.breached ? el('span', { className: 'pill sla-breached', text: t('sla.breached') }) : null);
  }

  // -- the targets, for admins ------------------------------------------------------------
  const dialog = el('dialog', { id: 'sla-dialog', className: 'picker sla-settings', attrs: { 'aria-label': t('sla.settings_heading') } });
  const button = el('button', {
    type: 'button', className: 'quiet', id: 'sla-open', text: t('sla.settings'), hidden: true,
    attrs: { title: t('sla.settings_title') }, on: { click: () => open() },
  });
  document.body.append(dialog);
  $('#sign-out').before(button);

  function isAdmin() {
    try {
      const part = state.session.idToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const groups = JSON.parse(atob(part))['cognito:groups'];
      return Array.isArray(groups) && groups.includes('admin');
    } catch (e) { return false; }
  }

  function minutes(name, value) {
    return el('input', { type: 'number', name, min: 0, step: 1, value: String(value), className: 'minutes', attrs: { 'aria-label': t(`sla.col_${name}`) } });
  }

  function row(target) {
    const first = minutes('first', target.first_response_minutes);
    const resolution = minutes('resolution', target.resolution_minutes);
    const save = el('button', {
      type: 'button', className: 'quiet', text: t('sla.save'),
      on: { click: () => put(target, Number(first.value || 0), Number(resolution.value || 0)) },
    });
    return el('tr', { dataset: { mailbox: target.mailbox, priority: target.priority } },
      el('td', { text: target.mailbox }), el('td', { text: t(`priority.${target.priority}`) }),
      // the column's name also on the cell: a phone shows each row as a block (console.css)
      el('td', { dataset: { label: t('sla.col_first') } }, first), el('td', { dataset: { label: t('sla.col_resolution') } }, resolution), el('td', {}, save));
  }

  /* Saving moves the open backlog's due times too: the PUT moves the first page, each POST
   * the next (services/sla_backlog.py), and the dialog counts along until the cursor ends. */
  async function put(target, first, resolution) {
    const alert = $('.alert', dialog);
    const progress = $('.sla-backlog', dialog);
    const { mailbox, priority } = target;
    const names = { mailbox, priority: t(`priority.${priority}`) };
    try {
      let { data } = await api('PUT', 'sla', { body: { mailbox, priority, first_response_minutes: first, resolution_minutes: resolution } });
      showAlert(alert, null);
      let updated = data.backlog.updated;
      while (data.backlog.cursor) {
        progress.hidden = false;
        progress.textContent = t('sla.backlog_progress', { ...names, count: updated });
        ({ data } = await api('POST', 'sla', { body: { mailbox, priority, cursor: data.backlog.cursor } }));
        updated += data.backlog.updated;
      }
      progress.hidden = false;
      progress.textContent = t('sla.backlog_done', { ...names, count: updated });
      toast(t('sla.saved', names));
      // The job moved the mailbox's change counter: this console reads the counters and its
      // queue now (as after any own change), the colleagues' at their next tick.
      if (updated) refresh();
    } catch (err) { showAlert(alert, err); }
  }

  async function open() {
    dialog.replaceChildren(
      el('h2', { text: t('sla.settings_heading') }),
      el('p', { className: 'muted', text: t('sla.settings_note') }),
      el('table', { className: 'sla-targets' },
        el('thead', {}, el('tr', {}, ...['mailbox', 'priority', 'first', 'resolution'].map((c) => el('th', { text: t(`sla.col_${c}`) })), el('th'))),
        el('tbody')),
      el('p', { className: 'sla-backlog', attrs: { role: 'status', 'aria-live': 'polite' }, hidden: true }),
      el('p', { className: 'alert', attrs: { role: 'alert' }, hidden: true }),
      el('form', { method: 'dialog' }, el('button', { className: 'primary', type: 'submit', text: t('sla.close') })));
    dialog.showModal();
    try {
      const { data } = await api('GET', 'sla');
      const order = (r) => PRIORITIES.indexOf(r.priority);
      const rows = data.targets.slice().sort((a, b) => a.mailbox.localeCompare(b.mailbox) || order(a) - order(b));
      $('tbody', dialog).replaceChildren(...rows.map(row));
    } catch (err) { showAlert($('.alert', dialog), err); }
  }

  // The button follows the top bar (as staff.js's): shown with it, for an admin's session only.
  function sync() { button.hidden = $('#desk-tools').hidden || !isAdmin(); if (button.hidden && dialog.open) dialog.close(); }
  new MutationObserver(sync).observe($('#desk-tools'), { attributes: true, attributeFilter: ['hidden'] });
  sync();

  return { itemPills, ticketLine, query, showSort };
};
