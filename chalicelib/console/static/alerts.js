/* inbound staff console: "Reply mail", the agent's own choice of a mail when a customer
 * replies on one of their tickets (off until chosen; GET/PUT /api/alerts). The mail goes
 * through the outbound guard to the agent only (chalicelib/services/assignee_alerts.py).
 * console.js calls InboundAlerts(desk) once; the button sits with Notify and Sound and
 * follows the top bar. Its strings come from the catalogue (i18n-*.js, alerts.*).
 */
'use strict';

window.InboundAlerts = (desk) => {
  const { api, el, $, toast, reason } = desk;
  const { t } = window.InboundI18n;
  let on = false;
  const button = el('button', {
    type: 'button', className: 'quiet', id: 'reply-mail', hidden: true,
    attrs: { 'aria-pressed': 'false', title: t('alerts.title') },
    text: t('alerts.off'),
    on: { click: () => save(!on) },
  });
  $('#notify-sound').after(button);

  function show(value) {
    on = value;
    button.textContent = t(on ? 'alerts.on' : 'alerts.off');
    button.setAttribute('aria-pressed', String(on));
  }

  async function load() {
    try { show((await api('GET', 'alerts')).data.customer_reply_mail); } catch (err) { /* the button stays as it was */ }
  }

  async function save(value) {
    try {
      show((await api('PUT', 'alerts', { body: { customer_reply_mail: value } })).data.customer_reply_mail);
      toast(t(on ? 'alerts.saved_on' : 'alerts.saved_off'));
    } catch (err) { toast(t('alerts.failed', { reason: reason(err) })); }
  }

  // Shown with the top bar (a signed-in desk); read again at each sign-in.
  function sync() {
    button.hidden = $('#desk-tools').hidden;
    if (!button.hidden) load();
  }
  new MutationObserver(sync).observe($('#desk-tools'), { attributes: true, attributeFilter: ['hidden'] });
  sync();
};
