/* inbound staff console: triage. Assign to a colleague, priority, tags, mailbox, merge and
 * split on the open ticket; bulk actions on a selection of the queue; the suspended-mail screen.
 *
 * console.js calls InboundTriage(desk) once with what it shares (the API, the state, the
 * DOM helpers, opening a ticket); nothing here is global but that one function. The same
 * rules hold as in console.js: data from the API reaches the page as text only.
 */
'use strict';

window.InboundTriage = (desk) => {
  const { api, el, $, toast, showAlert, state, when } = desk;
  const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
  const SPAM_TAG = 'spam';
  const TICKET_ID = /\bT-\d+\b/g;

  // -- colleagues ------------------------------------------------------------
  /* The agents a ticket may be given to (GET /api/agents: those who have signed in, the
     same list the API checks an assignee against). Read once per sign-in. */
  let agents = null;
  async function loadAgents() {
    if (agents) return agents;
    try { agents = (await api('GET', 'agents')).data.agents; } catch (err) { agents = []; }
    return agents;
  }
  function forget() { agents = null; state.chosen.clear(); }

  function agentOptions(current, me) {
    const names = [...new Set([...(agents || []), ...(current ? [current] : [])])].sort();
    return [
      el('option', { value: '', text: 'nobody', selected: !current }),
      ...names.map((name) => el('option', { value: name, text: name === me ? `${name} (you)` : name, selected: name === current })),
    ];
  }

  // -- the open ticket -------------------------------------------------------
  async function change(ticket, changes, message) {
    const alert = $('.ticket-head .alert');
    try {
      await api('PATCH', `tickets/${encodeURIComponent(ticket.id)}`, { body: changes });
      toast(message);
      await desk.openTicket(ticket.id);
      desk.refresh();
    } catch (err) {
      if (alert && state.selected === ticket.id) showAlert(alert, err); else toast(`${ticket.id}: ${err.reason}`);
      if (state.selected === ticket.id) desk.renderTicket();  // the controls show what is stored again
    }
  }

  function assign(ticket, to, me) {
    const from = ticket.assignee || '';
    if (to === from) return;
    const taking = from && from !== me;
    if (taking && !window.confirm(`${ticket.id} is assigned to ${from}. Give it to ${to || 'nobody'}?`)) {
      desk.renderTicket();
      return;
    }
    const body = { assignee: to || 'none', ...(taking ? { take_over: true } : {}) };
    change(ticket, body, to ? `${ticket.id} assigned to ${to === me ? 'you' : to}` : `${ticket.id} unassigned`);
  }

  function setTags(ticket, tags, message) {
    change(ticket, { tags: [...new Set(tags)] }, message);
  }

  /* The triage row under the ticket's actions: who has it, how urgent, which tags, which
     mailbox, and the merge picker. A merged ticket is read only: work on the survivor. */
  function ticketTools(ticket, me) {
    if (ticket.merged_into) return null;
    const select = (name, label, options, on) => el('label', { className: 'field' }, label,
      el('select', { name, attrs: { 'data-triage': name }, on: { change: (e) => on(e.target.value) } }, options));
    const tagInput = el('input', { type: 'text', name: 'tag', maxLength: 40, attrs: { placeholder: 'add a tag', 'aria-label': 'Tag to add', autocomplete: 'off' } });
    const tags = el('div', { className: 'tags', attrs: { 'aria-label': 'Tags' } },
      ...ticket.tags.map((tag) => el('span', { className: 'chip tag', dataset: { tag } },
        el('span', { text: tag }),
        el('button', {
          type: 'button', className: 'chip-remove', text: '×', attrs: { 'aria-label': `Remove tag ${tag}`, title: `Remove tag ${tag}` },
          on: { click: () => setTags(ticket, ticket.tags.filter((t) => t !== tag), `${ticket.id}: tag ${tag} removed`) },
        }))),
      el('form', { className: 'add-tag', on: { submit: (e) => {
        e.preventDefault();
        const tag = tagInput.value.trim();
        if (tag) setTags(ticket, [...ticket.tags, tag], `${ticket.id} tagged ${tag}`);
      } } }, tagInput, el('button', { type: 'submit', text: 'Tag' })));
    const boxes = (state.config && state.config.mailboxes) || [ticket.mailbox];
    const assignee = select('assignee', 'Assignee', agentOptions(ticket.assignee, me), (to) => assign(ticket, to, me));
    // The first time, the colleagues arrive after the ticket: only the picker is filled in
    // then (a re-rendered head would lose what the agent is typing in it).
    if (!agents) loadAgents().then(() => $('select', assignee).replaceChildren(...agentOptions(ticket.assignee, me)));
    const row = el('div', { className: 'triage', attrs: { 'aria-label': 'Triage' } },
      assignee,
      select('priority', 'Priority', PRIORITIES.map((p) => el('option', { value: p, text: p, selected: p === ticket.priority })),
        (priority) => change(ticket, { priority }, `${ticket.id}: priority ${priority}`)),
      select('mailbox', 'Mailbox', boxes.map((box) => el('option', { value: box, text: box, selected: box === ticket.mailbox })),
        (mailbox) => change(ticket, { mailbox }, `${ticket.id} moved to ${mailbox}`)),
      el('button', { type: 'button', className: 'merge-open', text: 'Merge into…', on: { click: () => openMerge(ticket) } }),
      tags);
    return row;
  }

  /* Merge picker: search (the API's ?q=, this mailbox only: a merge stays in one), choose
     the ticket that survives, confirm. */
  function openMerge(ticket) {
    const dialog = $('#merge-dialog');
    const input = el('input', { type: 'search', name: 'q', maxLength: 500, attrs: { placeholder: 'T-1042, address, words…', 'aria-label': 'Find the ticket to merge into', autocomplete: 'off' } });
    const results = el('ol', { className: 'picks', attrs: { 'aria-label': 'Tickets to merge into' } });
    const alert = el('p', { className: 'alert', attrs: { role: 'alert' }, hidden: true });
    const go = el('button', { type: 'button', className: 'primary', text: 'Merge', disabled: true });
    let target = null;
    const find = async (e) => {
      if (e) e.preventDefault();
      const q = input.value.trim();
      if (!q) return;
      try {
        const { data } = await api('GET', 'tickets', { query: { q, mailbox: ticket.mailbox, limit: 10 } });
        const found = data.tickets.filter((t) => t.id !== ticket.id && !t.merged_into);
        results.replaceChildren(...found.map((t) => el('li', {}, el('button', {
          type: 'button', className: 'pick', dataset: { pick: t.id }, attrs: { 'aria-pressed': 'false' },
          on: { click: (ev) => {
            target = t.id;
            for (const b of results.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === ev.currentTarget));
            go.disabled = false;
            go.textContent = `Merge ${ticket.id} into ${t.id}`;
          } },
        }, el('span', { className: 'tid', text: t.id }), ' ', el('span', { className: `pill status-${t.status}`, text: t.status }), ' ',
        el('span', { text: t.subject || '(no subject)' }), ' ', el('span', { className: 'muted', text: `${t.requester} · ${when(t.created_at)}` })))));
        if (!found.length) results.append(el('li', { className: 'muted', text: `No other ticket in ${ticket.mailbox} matches.` }));
      } catch (err) { showAlert(alert, err); }
    };
    go.addEventListener('click', async () => {
      if (!target) return;
      dialog.close();
      await desk.mergeInto(ticket.id, target);
    });
    dialog.replaceChildren(
      el('h2', { text: `Merge ${ticket.id} into another ticket` }),
      el('p', { className: 'muted', text: `Its messages move to the ticket you choose; ${ticket.id} is closed and points there.` }),
      el('form', { className: 'search', attrs: { role: 'search' }, on: { submit: find } }, input),
      results, alert,
      el('div', { className: 'dialog-bar' },
        el('button', { type: 'button', text: 'Cancel', on: { click: () => dialog.close() } }), go));
    dialog.showModal();
    input.focus();
  }

  /* Split: the messages ticked move out into one new ticket (fresh subject, from the
     earliest of them; the two tickets link to each other). The choice outlives a re-render
     of the same ticket (a poll), not a move to another ticket. */
  let splitting = { ticket: '', keys: new Set() };
  function chosenFor(ticket) {
    if (splitting.ticket !== ticket.id) splitting = { ticket: ticket.id, keys: new Set() };
    return splitting.keys;
  }

  function splitButton(ticket, m, counted) {
    if (ticket.merged_into || counted < 2 || !['customer', 'staff', 'note'].includes(m.kind)) return null;
    const keys = chosenFor(ticket);
    return el('label', { className: 'split', attrs: { title: 'Tick the messages to move into a new ticket of their own' } },
      el('input', {
        type: 'checkbox', checked: keys.has(m.key), dataset: { split: m.key },
        on: { change: (e) => { if (e.target.checked) keys.add(m.key); else keys.delete(m.key); renderSplitBar(ticket, counted); } },
      }), ' Split out');
  }

  function splitBar(ticket, counted) {
    const bar = el('div', { className: 'split-bar', attrs: { role: 'toolbar', 'aria-label': 'Split' }, hidden: true });
    queueMicrotask(() => renderSplitBar(ticket, counted));
    return bar;
  }

  function renderSplitBar(ticket, counted) {
    const bar = $('#ticket .split-bar');
    if (!bar) return;
    const keys = chosenFor(ticket);
    bar.hidden = keys.size === 0;
    const all = keys.size >= counted;
    bar.replaceChildren(
      el('span', { text: all ? 'One message must stay on the ticket.' : `${keys.size} message${keys.size === 1 ? '' : 's'} chosen` }),
      el('button', { type: 'button', className: 'primary', text: 'Split into a new ticket', disabled: all, dataset: { action: 'split' }, on: { click: () => split(ticket) } }),
      el('button', { type: 'button', className: 'quiet', text: 'Cancel', on: { click: () => { keys.clear(); desk.renderTicket(); } } }));
  }

  async function split(ticket) {
    const keys = [...chosenFor(ticket)];
    const many = keys.length === 1 ? 'this message' : `these ${keys.length} messages`;
    if (!window.confirm(`Move ${many} out of ${ticket.id} into a new ticket?`)) return;
    try {
      const { data } = await api('POST', `tickets/${encodeURIComponent(ticket.id)}/split`, { body: { message_keys: keys } });
      chosenFor(ticket).clear();
      toast(`Split into ${data.id}`);
      await desk.openTicket(data.id);
      desk.refresh();
    } catch (err) { showAlert($('.ticket-head .alert'), err); }
  }

  /* An audit line names tickets (split into T-9, merged T-4 into this ticket): each a link. */
  function linkedText(text) {
    const parts = [];
    let at = 0;
    for (const match of text.matchAll(TICKET_ID)) {
      parts.push(text.slice(at, match.index));
      const id = match[0];
      parts.push(el('button', { type: 'button', className: 'link', text: id, dataset: { goto: id }, on: { click: () => desk.openTicket(id) } }));
      at = match.index + id.length;
    }
    parts.push(text.slice(at));
    return parts;
  }

  // -- the queue: what each line shows, and bulk actions on a selection --------
  function itemPills(t) {
    return [
      t.priority && t.priority !== 'normal' ? el('span', { className: `pill priority-${t.priority}`, text: t.priority }) : null,
      ...t.tags.map((tag) => el('span', { className: 'pill tag', text: tag })),
    ];
  }

  function chooser(t) {
    return el('input', {
      type: 'checkbox', className: 'choose', checked: state.chosen.has(t.id),
      attrs: { 'aria-label': `Select ${t.id}`, 'data-choose': t.id },
      on: {
        click: (e) => e.stopPropagation(),
        change: (e) => { if (e.target.checked) state.chosen.add(t.id); else state.chosen.delete(t.id); renderBulk(); },
      },
    });
  }

  function renderBulk() {
    const bar = $('#bulk');
    const listed = new Set(state.tickets.map((t) => t.id));
    for (const id of [...state.chosen]) if (!listed.has(id)) state.chosen.delete(id);
    bar.hidden = state.chosen.size === 0;
    if (bar.hidden) { bar.replaceChildren(); delete bar.dataset.size; return; }
    if (bar.dataset.size === String(state.chosen.size)) return;  // a poll: keep what is typed
    bar.dataset.size = String(state.chosen.size);
    const typed = $('input[name=tag]', bar);
    const me = desk.agentEmail();
    const options = () => [
      el('option', { value: '', text: 'Assign to…', disabled: true, selected: true }),
      el('option', { value: 'none', text: 'nobody' }),
      ...(agents || [me]).map((name) => el('option', { value: name, text: name === me ? `${name} (you)` : name }))];
    const to = el('select', { name: 'assignee', attrs: { 'aria-label': 'Assign the selection to' } }, options());
    if (!agents) loadAgents().then(() => to.replaceChildren(...options()));
    to.addEventListener('change', () => bulk('assign', to.value));
    const tag = el('input', { type: 'text', name: 'tag', maxLength: 40, value: typed ? typed.value : '', attrs: { placeholder: 'tag', 'aria-label': 'Tag the selection', autocomplete: 'off' } });
    bar.replaceChildren(
      el('span', { className: 'count', text: `${state.chosen.size} selected` }), to,
      el('button', { type: 'button', text: 'Close', dataset: { bulk: 'close' }, on: { click: () => bulk('close') } }),
      el('form', { className: 'bulk-tag', on: { submit: (e) => { e.preventDefault(); if (tag.value.trim()) bulk('tag', tag.value.trim()); } } },
        tag, el('button', { type: 'submit', text: 'Tag', dataset: { bulk: 'tag' } })),
      el('button', { type: 'button', className: 'danger', text: 'Spam', dataset: { bulk: 'spam' }, attrs: { title: 'Tag spam and close' }, on: { click: () => bulk('spam') } }),
      el('button', { type: 'button', className: 'quiet', text: 'Clear', on: { click: () => { state.chosen.clear(); desk.renderQueue(); } } }));
  }

  /* One PATCH per ticket (each its own conditional write, as in the ticket pane); what
     failed is named, the rest is done. Taking colleagues' tickets is asked once. */
  async function bulk(action, value) {
    const me = desk.agentEmail();
    const chosen = state.tickets.filter((t) => state.chosen.has(t.id));
    const theirs = chosen.filter((t) => t.assignee && t.assignee !== me && (action !== 'assign' || t.assignee !== value));
    let take = false;
    if (action === 'assign' && theirs.length) {
      take = window.confirm(`${theirs.map((t) => t.id).join(', ')} ${theirs.length === 1 ? 'is' : 'are'} assigned to a colleague. Reassign ${theirs.length === 1 ? 'it' : 'them'} too?`);
    }
    const body = (t) => ({
      assign: { assignee: value, ...(take ? { take_over: true } : {}) },
      close: { status: 'closed' },
      tag: { tags: [...new Set([...t.tags, value])] },
      spam: { status: 'closed', tags: [...new Set([...t.tags, SPAM_TAG])] },
    })[action];
    const done = await Promise.all(chosen.map((t) => api('PATCH', `tickets/${encodeURIComponent(t.id)}`, { body: body(t) })
      .then(() => null).catch((err) => `${t.id}: ${err.reason}`)));
    const failed = done.filter(Boolean);
    const verb = { assign: `assigned to ${value === 'none' ? 'nobody' : value === me ? 'you' : value}`, close: 'closed', tag: `tagged ${value}`, spam: 'marked spam and closed' }[action];
    const ok = chosen.length - failed.length;
    toast(`${ok} ticket${ok === 1 ? '' : 's'} ${verb}${failed.length ? `; not changed: ${failed.join('; ')}` : ''}`);
    state.chosen.clear();
    renderBulk();
    desk.refresh();
    if (state.selected && chosen.some((t) => t.id === state.selected)) desk.openTicket(state.selected);
  }

  // -- suspended mail -------------------------------------------------------------
  /* Automatic mail that threads nowhere is suspended, never dropped (ingest): here staff read
     who sent it and why it was suspended, and release it into a ticket or discard it. */
  async function loadSuspended() {
    const box = state.mailbox;
    const list = $('#tickets');
    try {
      const { data } = await api('GET', 'suspended', { query: { mailbox: box } });
      if (box !== state.mailbox || state.view !== 'suspended') return;
      list.replaceChildren(...data.suspended.map((h) => el('li', { className: 'item suspended', dataset: { suspended: h.key } },
        el('div', { className: 'line' },
          el('span', { className: 'pill suspended', text: 'suspended' }),
          el('span', { className: 'ago', text: when(h.received_at) })),
        el('div', { className: 'subject', text: h.subject || '(no subject)' }),
        el('div', { className: 'who' }, el('span', { text: h.sender || '(no sender)' }), el('span', { className: 'muted', text: ` · ${h.reason}` })),
        el('div', { className: 'suspended-actions' },
          el('button', { type: 'button', text: 'Release', dataset: { release: h.key }, attrs: { title: 'File it as a ticket' }, on: { click: () => settle(box, h, 'release') } }),
          el('button', { type: 'button', className: 'danger', text: 'Discard', dataset: { discard: h.key }, on: { click: () => settle(box, h, 'discard') } })))));
      const empty = $('#queue-empty');
      empty.hidden = data.suspended.length > 0;
      empty.textContent = `No suspended mail in ${box}.`;
      $('#more').hidden = true;
      state.counts.suspended = String(data.suspended.length);
      desk.renderViews(state.counts);
    } catch (err) {
      toast(`Suspended mail: ${err.reason}`);
    }
  }

  async function settle(box, suspended, action) {
    if (action === 'discard' && !window.confirm(`Discard the mail from ${suspended.sender || 'an unknown sender'}? It cannot be brought back.`)) return;
    try {
      const { data } = await api('POST', `suspended/${encodeURIComponent(box)}/${encodeURIComponent(suspended.key)}/${action}`);
      toast(action === 'release' ? `Released: ${data && data.ticket ? `${data.outcome} ${data.ticket}` : (data && data.outcome) || 'filed'}` : 'Discarded');
    } catch (err) { toast(`Suspended mail: ${err.reason}`); }
    loadSuspended();
  }

  return { ticketTools, splitButton, splitBar, linkedText, itemPills, chooser, renderBulk, loadSuspended, loadAgents, forget };
};
