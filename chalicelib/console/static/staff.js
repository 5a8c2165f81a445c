/* inbound staff console: staff administration, for admins (Cognito group `admin`).
 *
 * console.js calls InboundStaff(desk) once with what it shares (the API, the DOM helpers,
 * the state); nothing here is global but that one function. A "Staff" button appears in the
 * top bar when the signed-in token's `cognito:groups` holds `admin` (the API checks that claim
 * and the staff directory, which a demotion changes at once: the button only spares an agent a
 * 403). The screen is a dialog: everyone on the
 * staff with their status and role, an invitation form (the one-time password goes out by
 * mail, through the outbound guard), and disable, enable, role and remove per person.
 * Data from the API reaches the page as text only.
 */
'use strict';

window.InboundStaff = (desk) => {
  const { api, el, $, toast, showAlert, state } = desk;
  const { t } = window.InboundI18n;
  // What the API says of a member (adapters' Cognito statuses), in the agent's language.
  const STATUSES = { active: 'staff.status_active', invited: 'staff.status_invited', 'must reset password': 'staff.status_reset', disabled: 'staff.status_disabled' };
  const ROLES = { admin: 'staff.role_admin', agent: 'staff.role_agent' };
  const dialog = el('dialog', { id: 'staff-dialog', className: 'picker staff', attrs: { 'aria-label': t('staff.title') } });
  const button = el('button', { type: 'button', className: 'quiet', id: 'staff-open', text: t('staff.title'), hidden: true, title: t('staff.button_title') });

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

  async function act(method, path, body, done) {
    const alert = $('.alert', dialog);
    try {
      await api(method, path, body === undefined ? {} : { body });
      showAlert(alert, null);
      toast(done);
      await load();
    } catch (err) { showAlert(alert, err); }
  }

  // A misclick on Disable would lock a colleague out mid-shift: asked first, as Remove is.
  function toggle(who, member) {
    if (member.enabled && !window.confirm(t('staff.disable_confirm', { email: member.email }))) return;
    act('PATCH', who, { enabled: !member.enabled }, t(member.enabled ? 'staff.disabled' : 'staff.enabled', { email: member.email }));
  }

  function row(member, me) {
    const who = `staff/${encodeURIComponent(member.email)}`;
    const other = member.role === 'admin' ? 'agent' : 'admin';
    return el('tr', { dataset: { staff: member.email } },
      el('td', { text: member.email === me ? t('triage.agent_you', { agent: member.email }) : member.email }),
      el('td', { text: STATUSES[member.status] ? t(STATUSES[member.status]) : member.status }),
      el('td', { text: ROLES[member.role] ? t(ROLES[member.role]) : member.role }),
      el('td', { className: 'staff-actions' },
        el('button', { type: 'button', className: 'quiet', text: t(member.enabled ? 'staff.disable' : 'staff.enable'),
          on: { click: () => toggle(who, member) } }),
        el('button', { type: 'button', className: 'quiet', text: t(other === 'admin' ? 'staff.make_admin' : 'staff.make_agent'),
          on: { click: () => act('PATCH', who, { role: other }, t(other === 'admin' ? 'staff.now_admin' : 'staff.now_agent', { email: member.email })) } }),
        el('button', { type: 'button', className: 'quiet danger', text: t('staff.remove'),
          on: { click: () => { if (window.confirm(t('staff.remove_confirm', { email: member.email }))) act('DELETE', who, undefined, t('staff.removed', { email: member.email })); } } })));
  }

  async function load() {
    const body = $('tbody', dialog);
    try {
      const { data } = await api('GET', 'staff');
      const me = (claims().email || '').toLowerCase();
      body.replaceChildren(...data.staff.map((member) => row(member, me)));
    } catch (err) { showAlert($('.alert', dialog), err); }
  }

  function invite(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const email = form.elements.email.value.trim();
    if (!email) return;
    act('POST', 'staff', { email, role: form.elements.role.value }, t('staff.invited', { email }))
      .then(() => { if ($('.alert', dialog).hidden) form.reset(); });
  }

  function open() {
    const form = el('form', { className: 'staff-invite', on: { submit: invite } },
      el('input', { type: 'email', name: 'email', required: true, placeholder: t('staff.invite_placeholder'), maxLength: 254, attrs: { 'aria-label': t('staff.invite_label') } }),
      el('select', { name: 'role', attrs: { 'aria-label': t('staff.role') } },
        el('option', { value: 'agent', text: t('staff.role_agent') }), el('option', { value: 'admin', text: t('staff.role_admin') })),
      el('button', { type: 'submit', className: 'primary', text: t('staff.invite') }));
    dialog.replaceChildren(
      el('h2', { text: t('staff.title') }),
      el('p', { className: 'alert', attrs: { role: 'alert' }, hidden: true }),
      form,
      el('table', { className: 'staff-list' },
        el('thead', {}, el('tr', {}, ...[t('staff.email'), t('staff.status'), t('staff.role'), ''].map((h) => el('th', { text: h })))),
        el('tbody')),
      el('div', { className: 'dialog-bar' }, el('button', { type: 'button', text: t('help.close'), on: { click: () => dialog.close() } })));
    dialog.showModal();
    load();
  }

  // The button follows the top bar: shown with it, for an admin's session only.
  function sync() { button.hidden = $('#desk-tools').hidden || !isAdmin(); if (button.hidden && dialog.open) dialog.close(); }
  button.addEventListener('click', open);
  $('#sign-out').before(button);
  document.body.append(dialog);
  new MutationObserver(sync).observe($('#desk-tools'), { attributes: true, attributeFilter: ['hidden'] });
  sync();
  return { sync };
};
