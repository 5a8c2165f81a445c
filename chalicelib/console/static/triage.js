/* inbound staff console: triage. Assign to a colleague, priority, tags, mailbox, merge and
 * split on the open ticket; bulk actions on a selection of the queue; the suspended-mail screen.
 *
 * console.js calls InboundTriage(desk) once with what it shares (the API, the state, the
 * DOM helpers, opening a ticket); nothing here is global but that one function. The same
 * rules hold as in console.js: data from the API reaches the page as text only.
 *
 * Over 300 lines: the ticket's triage and the queue's bulk actions share the selection and
 * the picker code; the suspended-mail screen is the next piece to move out if it grows.
 */
'use strict';

window.InboundTriage = (desk) => {
  const { api, el, $, toast, showAlert, state, when } = desk;
  const { t, reason, notes } = window.InboundI18n;
  const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
  const SPAM_TAG = 'spam';
  const TICKET_ID = /\bT-\d+\b/g;
  const OUTCOMES = ['created', 'threaded', 'duplicate', 'quarantined', 'bounce', 'auto_reply']; // outcome.*

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
      el('option', { value: '', text: t('people.nobody'), selected: !current }),
      ...names.map((name) => el('option', { value: name, text: name === me ? t('triage.agent_you', { agent: name }) : name, selected: name === current })),
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
      if (alert && state.selected === ticket.id) showAlert(alert, err); else toast(`${ticket.id}: ${reason(err)}`);
      if (state.selected === ticket.id) desk.renderTicket();  // the controls show what is stored again
    }
  }

  function assign(ticket, to, me) {
    const from = ticket.assignee || '';
    if (to === from) return;
    const taking = from && from !== me;
    if (taking && !window.confirm(t('triage.give_confirm', { id: ticket.id, from, to: to || t('people.nobody') }))) {
      desk.renderTicket();
      return;
    }
    const body = { assignee: to || 'none', ...(taking ? { take_over: true } : {}) };
    change(ticket, body, !to ? t('triage.unassigned', { id: ticket.id }) : to === me ? t('triage.assigned_you', { id: ticket.id }) : t('triage.assigned', { id: ticket.id, agent: to }));
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
    const tagInput = el('input', { type: 'text', name: 'tag', maxLength: 40, attrs: { placeholder: t('triage.tag_placeholder'), 'aria-label': t('triage.tag_label'), autocomplete: 'off' } });
    const tags = el('div', { className: 'tags', attrs: { 'aria-label': t('triage.tags') } },
      ...ticket.tags.map((tag) => el('span', { className: 'chip tag', dataset: { tag } },
        el('span', { text: tag }),
        el('button', {
          type: 'button', className: 'chip-remove', text: '×', attrs: { 'aria-label': t('triage.tag_remove', { tag }), title: t('triage.tag_remove', { tag }) },
          on: { click: () => setTags(ticket, ticket.tags.filter((other) => other !== tag), t('triage.tag_removed', { id: ticket.id, tag })) },
        }))),
      el('form', { className: 'add-tag', on: { submit: (e) => {
        e.preventDefault();
        const tag = tagInput.value.trim();
        if (tag) setTags(ticket, [...ticket.tags, tag], t('triage.tagged', { id: ticket.id, tag }));
      } } }, tagInput, el('button', { type: 'submit', text: t('triage.tag') })));
    const boxes = (state.config && state.config.mailboxes) || [ticket.mailbox];
    const assignee = select('assignee', t('triage.assignee'), agentOptions(ticket.assignee, me), (to) => assign(ticket, to, me));
    // The first time, the colleagues arrive after the ticket: only the picker is filled in
    // then (a re-rendered head would lose what the agent is typing in it).
    if (!agents) loadAgents().then(() => $('select', assignee).replaceChildren(...agentOptions(ticket.assignee, me)));
    const row = el('div', { className: 'triage', attrs: { 'aria-label': t('triage.label') } },
      assignee,
      select('priority', t('triage.priority'), PRIORITIES.map((p) => el('option', { value: p, text: t(`priority.${p}`), selected: p === ticket.priority })),
        (priority) => change(ticket, { priority }, t('triage.priority_set', { id: ticket.id, priority: t(`priority.${priority}`) }))),
      select('mailbox', t('top.mailbox'), boxes.map((box) => el('option', { value: box, text: box, selected: box === ticket.mailbox })),
        (mailbox) => change(ticket, { mailbox }, t('triage.moved', { id: ticket.id, mailbox }))),
      el('button', { type: 'button', className: 'merge-open', text: t('merge.open'), on: { click: () => openMerge(ticket) } }),
      tags);
    return row;
  }

  /* Merge picker: search (the API's ?q=, this mailbox only: a merge stays in one) as the
     agent types, starting with the requester's other tickets (a duplicate is most often
     theirs); choose the ticket that survives, confirm. */
  function openMerge(ticket) {
    const dialog = $('#merge-dialog');
    const input = el('input', { type: 'search', name: 'q', maxLength: 500, attrs: { placeholder: t('merge.search_placeholder'), 'aria-label': t('merge.search_label'), autocomplete: 'off' } });
    const results = el('ol', { className: 'picks', attrs: { 'aria-label': t('merge.results_label') } });
    const alert = el('p', { className: 'alert', attrs: { role: 'alert' }, hidden: true });
    const go = el('button', { type: 'button', className: 'primary', text: t('merge.go'), disabled: true });
    let target = null;
    let asked = 0; // the newest search: an older answer arriving late is dropped
    let typing = null;
    const find = async (e) => {
      if (e) e.preventDefault();
      clearTimeout(typing);
      const q = input.value.trim();
      if (!q) return;
      const mine = ++asked;
      try {
        const { data } = await api('GET', 'tickets', { query: { q, mailbox: ticket.mailbox, limit: 10 } });
        if (mine !== asked) return;
        target = null; // a choice from an earlier list is not on this one
        go.disabled = true;
        go.textContent = t('merge.go');
        const found = data.tickets.filter((other) => other.id !== ticket.id && !other.merged_into);
        results.replaceChildren(...found.map((other) => el('li', {}, el('button', {
          type: 'button', className: 'pick', dataset: { pick: other.id }, attrs: { 'aria-pressed': 'false' },
          on: { click: (ev) => {
            target = other.id;
            for (const b of results.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === ev.currentTarget));
            go.disabled = false;
            go.textContent = t('merge.go_into', { id: ticket.id, target: other.id });
          } },
        }, el('span', { className: 'tid', text: other.id }), ' ', el('span', { className: `pill status-${other.status}`, text: t(`status.${other.status}`) }), ' ',
        el('span', { className: 'subject', text: other.subject || t('ticket.no_subject') }), ' ', el('span', { className: 'muted', text: `${other.requester} · ${when(other.created_at)}` })))));
        if (!found.length) results.append(el('li', { className: 'muted', text: t('merge.none', { mailbox: ticket.mailbox }) }));
      } catch (err) { showAlert(alert, err); }
    };
    go.addEventListener('click', async () => {
      if (!target) return;
      dialog.close();
      await desk.mergeInto(ticket.id, target);
    });
    dialog.replaceChildren(
      el('h2', { text: t('merge.title', { id: ticket.id }) }),
      el('p', { className: 'muted', text: t('merge.explain', { id: ticket.id }) }),
      el('form', { className: 'search', attrs: { role: 'search' }, on: { submit: find } }, input),
      results, alert,
      el('div', { className: 'dialog-bar' },
        el('button', { type: 'button', text: t('triage.cancel'), on: { click: () => dialog.close() } }), go));
    input.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(find, 300); });
    dialog.showModal();
    input.value = ticket.requester;
    input.select();
    find();
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
    return el('label', { className: 'split', attrs: { title: t('split.title') } },
      el('input', {
        type: 'checkbox', checked: keys.has(m.key), dataset: { split: m.key },
        on: { change: (e) => { if (e.target.checked) keys.add(m.key); else keys.delete(m.key); renderSplitBar(ticket, counted); } },
      }), ` ${t('split.out')}`);
  }

  function splitBar(ticket, counted) {
    const bar = el('div', { className: 'split-bar', attrs: { role: 'toolbar', 'aria-label': t('split.label') }, hidden: true });
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
      el('span', { text: all ? t('split.one_stays') : t('split.chosen', { count: keys.size }) }),
      el('button', { type: 'button', className: 'primary', text: t('split.go'), disabled: all, dataset: { action: 'split' }, on: { click: () => split(ticket) } }),
      el('button', { type: 'button', className: 'quiet', text: t('triage.cancel'), on: { click: () => { keys.clear(); desk.renderTicket(); } } }));
  }

  async function split(ticket) {
    const keys = [...chosenFor(ticket)];
    if (!window.confirm(t('split.confirm', { count: keys.length, id: ticket.id }))) return;
    try {
      const { data } = await api('POST', `tickets/${encodeURIComponent(ticket.id)}/split`, { body: { message_keys: keys } });
      chosenFor(ticket).clear();
      toast(t('split.done', { id: data.id }));
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
  function itemPills(ticket) {
    return [
      ticket.priority && ticket.priority !== 'normal' ? el('span', { className: `pill priority-${ticket.priority}`, text: t(`priority.${ticket.priority}`) }) : null,
      ...ticket.tags.map((tag) => el('span', { className: 'pill tag', text: tag })),
    ];
  }

  function chooser(ticket) {
    return el('input', {
      type: 'checkbox', className: 'choose', checked: state.chosen.has(ticket.id),
      attrs: { 'aria-label': t('bulk.select', { id: ticket.id }), 'data-choose': ticket.id },
      on: {
        click: (e) => e.stopPropagation(),
        change: (e) => { if (e.target.checked) state.chosen.add(ticket.id); else state.chosen.delete(ticket.id); renderBulk(); },
      },
    });
  }

  function renderBulk() {
    const bar = $('#bulk');
    const listed = new Set(state.tickets.map((ticket) => ticket.id));
    for (const id of [...state.chosen]) if (!listed.has(id)) state.chosen.delete(id);
    bar.hidden = state.chosen.size === 0;
    if (bar.hidden) { bar.replaceChildren(); delete bar.dataset.size; return; }
    if (bar.dataset.size === String(state.chosen.size)) return;  // a poll: keep what is typed
    bar.dataset.size = String(state.chosen.size);
    const typed = $('input[name=tag]', bar);
    const me = desk.agentEmail();
    const options = () => [
      el('option', { value: '', text: t('bulk.assign_to'), disabled: true, selected: true }),
      el('option', { value: 'none', text: t('people.nobody') }),
      ...(agents || [me]).map((name) => el('option', { value: name, text: name === me ? t('triage.agent_you', { agent: name }) : name }))];
    const to = el('select', { name: 'assignee', attrs: { 'aria-label': t('bulk.assign_label') } }, options());
    if (!agents) loadAgents().then(() => to.replaceChildren(...options()));
    to.addEventListener('change', () => bulk('assign', to.value));
    const tag = el('input', { type: 'text', name: 'tag', maxLength: 40, value: typed ? typed.value : '', attrs: { placeholder: t('bulk.tag_placeholder'), 'aria-label': t('bulk.tag_label'), autocomplete: 'off' } });
    bar.replaceChildren(
      el('span', { className: 'count', text: t('bulk.selected', { count: state.chosen.size }) }), to,
      el('button', { type: 'button', text: t('bulk.close'), dataset: { bulk: 'close' }, on: { click: () => bulk('close') } }),
      el('form', { className: 'bulk-tag', on: { submit: (e) => { e.preventDefault(); if (tag.value.trim()) bulk('tag', tag.value.trim()); } } },
        tag, el('button', { type: 'submit', text: t('triage.tag'), dataset: { bulk: 'tag' } })),
      desk.bulkMerge.button(state.tickets.filter((ticket) => state.chosen.has(ticket.id)), merged),
      el('button', { type: 'button', className: 'danger', text: t('bulk.spam'), dataset: { bulk: 'spam' }, attrs: { title: t('bulk.spam_title') }, on: { click: () => bulk('spam') } }),
      el('button', { type: 'button', className: 'quiet', text: t('bulk.clear'), on: { click: () => { state.chosen.clear(); desk.renderQueue(); } } }));
  }

  function merged(target) {  // bulk_merge.js merged the selection into `target`
    state.chosen.clear();
    renderBulk();
    desk.refresh();
    desk.openTicket(target);
  }

  /* One PATCH per ticket (each its own conditional write, as in the ticket pane); what
     failed is named, the rest is done. Taking colleagues' tickets is asked once. */
  async function bulk(action, value) {
    const me = desk.agentEmail();
    const chosen = state.tickets.filter((ticket) => state.chosen.has(ticket.id));
    const theirs = chosen.filter((ticket) => ticket.assignee && ticket.assignee !== me && (action !== 'assign' || ticket.assignee !== value));
    let take = false;
    if (action === 'assign' && theirs.length) {
      take = window.confirm(t('bulk.reassign_confirm', { ids: theirs.map((ticket) => ticket.id).join(', '), count: theirs.length }));
    }
    const body = (ticket) => ({
      assign: { assignee: value, ...(take ? { take_over: true } : {}) },
      close: { status: 'closed' },
      tag: { tags: [...new Set([...ticket.tags, value])] },
      spam: { status: 'closed', tags: [...new Set([...ticket.tags, SPAM_TAG])] },
    })[action];
    const done = await Promise.all(chosen.map((ticket) => api('PATCH', `tickets/${encodeURIComponent(ticket.id)}`, { body: body(ticket) })
      .then(() => null).catch((err) => `${ticket.id}: ${reason(err)}`)));
    const failed = done.filter(Boolean);
    const ok = chosen.length - failed.length;
    const kind = action !== 'assign' ? action : value === 'none' ? 'unassigned' : value === me ? 'assigned_you' : 'assigned';
    const said = t(`bulk.done_${kind}`, { count: ok, agent: value, tag: value });
    toast(failed.length ? t('bulk.not_changed', { done: said, failed: failed.join('; ') }) : said);
    state.chosen.clear();
    renderBulk();
    desk.refresh();
    if (state.selected && chosen.some((ticket) => ticket.id === state.selected)) desk.openTicket(state.selected);
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
          el('span', { className: 'pill suspended', text: t('suspended.pill') }),
          el('span', { className: 'ago', text: when(h.received_at) })),
        el('div', { className: 'subject', text: h.subject || t('ticket.no_subject') }),
        el('div', { className: 'who' }, el('span', { text: h.sender || t('suspended.no_sender') }), ' · ', el('span', { className: 'muted', text: notes(h), attrs: notes(h) === h.reason ? { lang: 'en' } : {} })),
        el('div', { className: 'suspended-actions' },
          el('button', { type: 'button', text: t('suspended.release'), dataset: { release: h.key }, attrs: { title: t('suspended.release_title') }, on: { click: () => settle(box, h, 'release') } }),
          el('button', { type: 'button', className: 'danger', text: t('suspended.discard'), dataset: { discard: h.key }, on: { click: () => settle(box, h, 'discard') } })))));
      const empty = $('#queue-empty');
      empty.hidden = data.suspended.length > 0;
      empty.textContent = t('queue.none_suspended', { mailbox: box });
      $('#more').hidden = true;
      state.counts.suspended = String(data.suspended.length);
      desk.renderViews(state.counts);
    } catch (err) {
      toast(t('suspended.failed', { reason: reason(err) }));
    }
  }

  async function settle(box, suspended, action) {
    if (action === 'discard' && !window.confirm(t('suspended.discard_confirm', { sender: suspended.sender || t('suspended.unknown_sender') }))) return;
    try {
      const { data } = await api('POST', `suspended/${encodeURIComponent(box)}/${encodeURIComponent(suspended.key)}/${action}`);
      const outcome = data && OUTCOMES.includes(data.outcome) ? t(`outcome.${data.outcome}`) : (data && data.outcome) || t('outcome.filed');
      toast(action === 'release' ? t('suspended.released', { outcome: data && data.ticket ? `${outcome} ${data.ticket}` : outcome }) : t('suspended.discarded'));
    } catch (err) { toast(t('suspended.failed', { reason: reason(err) })); }
    loadSuspended();
  }

  return { ticketTools, splitButton, splitBar, linkedText, itemPills, chooser, renderBulk, loadSuspended, loadAgents, forget };
};
