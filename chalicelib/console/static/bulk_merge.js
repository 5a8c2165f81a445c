/* inbound staff console: merging the tickets ticked in the queue at once.
 *
 * A customer who writes five times in an hour opens five tickets; merged one by one that
 * was five round trips through the ticket pane and its picker. triage.js asks
 * `button(chosen, done)` for the bulk bar's "Merge into T-n" when two or more are ticked:
 * the oldest of them stays, the others are merged into it (POST api/tickets/{id}/merge,
 * one after the other: each writes the surviving ticket), after one confirmation. What
 * failed is named, the rest is done; `done(id)` then shows the surviving ticket. Nothing
 * else is global.
 */
'use strict';

window.InboundBulkMerge = (desk) => {
  const { api, el, toast } = desk;
  const { t, reason } = window.InboundI18n;

  function oldest(tickets) {
    const number = (ticket) => Number(ticket.id.replace(/^T-/, ''));
    return [...tickets].sort((a, b) => (a.created_at || '').localeCompare(b.created_at || '') || number(a) - number(b))[0];
  }

  async function merge(target, others, done) {
    const ids = others.map((ticket) => ticket.id).join(', ');
    if (!window.confirm(t('bulk.merge_confirm', { ids, id: target.id, count: others.length }))) return;
    const failed = [];
    for (const ticket of others) {
      try {
        await api('POST', `tickets/${encodeURIComponent(ticket.id)}/merge`, { body: { into: target.id } });
      } catch (err) { failed.push(`${ticket.id}: ${reason(err)}`); }
    }
    const said = t('bulk.done_merge', { count: others.length - failed.length, id: target.id });
    toast(failed.length ? t('bulk.not_changed', { done: said, failed: failed.join('; ') }) : said);
    done(target.id);
  }

  function button(chosen, done) {
    if (chosen.length < 2) return null;
    const target = oldest(chosen);
    const others = chosen.filter((ticket) => ticket.id !== target.id);
    return el('button', {
      type: 'button', text: t('bulk.merge', { id: target.id }), dataset: { bulk: 'merge' },
      attrs: { title: t('bulk.merge_title') }, on: { click: () => merge(target, others, done) },
    });
  }

  return { button };
};
