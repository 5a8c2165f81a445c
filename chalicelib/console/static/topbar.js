/* inbound staff console: the top bar on a phone (at most 480 px wide).
 *
 * An admin's bar holds a dozen tools; wrapped on a 390 px screen they took four rows
 * (about 230 px) above every queue and ticket. On a phone the bar is one row: the mailbox,
 * "Claim next" and a "Menu" button that opens the other tools (notifications, screens,
 * language, sign out) below it; choosing one, Escape or the button again closes it. Wider
 * screens never see the button (console.css). Tools other scripts add to #desk-tools later
 * are in the menu too: the bar's class decides, not a list kept here.
 */
'use strict';

(() => {
  const { t } = window.InboundI18n;
  const bar = document.querySelector('header.topbar');
  const tools = document.getElementById('desk-tools');
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.id = 'topbar-menu';
  toggle.className = 'quiet';
  toggle.textContent = '☰';
  toggle.setAttribute('aria-label', t('top.menu'));
  toggle.setAttribute('aria-expanded', 'false');
  toggle.setAttribute('aria-controls', 'desk-tools');
  toggle.title = t('top.menu_title');
  document.getElementById('claim-next').after(toggle);

  function show(open) {
    bar.classList.toggle('menu-open', open);
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? '✕' : '☰';
    toggle.setAttribute('aria-label', t(open ? 'top.menu_close' : 'top.menu'));
  }

  toggle.addEventListener('click', () => show(!bar.classList.contains('menu-open')));
  // A tool chosen (a screen opened, a switch flipped) closes the menu; the mailbox and the
  // language are choices made in place.
  tools.addEventListener('click', (e) => {
    const button = e.target.closest('button');
    if (button && button !== toggle && bar.classList.contains('menu-open')) show(false);
  });
  bar.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && bar.classList.contains('menu-open')) { show(false); toggle.focus(); }
  });
})();
