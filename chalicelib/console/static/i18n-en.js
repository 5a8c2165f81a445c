/* The staff console's English strings (see i18n.js; German in i18n-de.js, same keys).
 * The table is JSON (double quotes, no trailing comma, no comments inside) so that
 * tests/unit/test_console_catalogue.py can read it. Keys are grouped by screen or script,
 * `area.what`; a feature's strings go under its own prefix. Plurals: {"one": ..., "other": ...}.
 */
'use strict';

window.InboundStrings = window.InboundStrings || {};
window.InboundStrings.en = {
  "language.short": "EN",
  "language.name": "English",
  "language.choose": "Language",

  "time.just_now": "just now",
  "size.bytes": "{n} B",
  "size.kb": "{n} KB",
  "size.mb": "{n} MB",

  "page.title": "inbound · support queue",
  "top.mailbox": "Mailbox",
  "top.mailbox_select": "Mailbox {0}",
  "top.claim_next": "Claim next {0}",
  "top.claim_next_title": "Claim the next unassigned ticket (n)",
  "top.help_title": "Keyboard shortcuts (?)",
  "top.sign_out": "Sign out",
  "top.notify_title": "Desktop notifications for new tickets and customer replies on your tickets",
  "top.sound_title": "A short tone for new tickets and customer replies on your tickets",

  "signin.title": "Sign in",
  "signin.who": "Support staff of this desk.",
  "signin.email": "Email {0}",
  "signin.password": "Password {0}",
  "signin.submit": "Sign in",
  "signin.new_title": "Choose a new password",
  "signin.new_why": "Your password was a one-time password. Choose your own to continue.",
  "signin.new_password": "New password {0}",
  "signin.repeat": "Repeat it {0}",
  "signin.new_submit": "Set password and sign in",

  "signin.signed_out": "Signed out.",
  "signin.signed_out_elsewhere": "Signed out in another tab.",
  "signin.session_ended": "Your session has ended. Please sign in again.",
  "signin.not_signed_in": "not signed in",
  "signin.missing": "Enter your email and password.",
  "signin.passwords_differ": "The two passwords differ.",

  "alert.refused": "Refused: ",
  "alert.failed": "Failed: ",
  "error.unreachable": "the server cannot be reached; check your connection",

  "view.working": "Working",
  "view.mine": "Mine",
  "view.new": "New",
  "view.open": "Open",
  "view.pending": "Pending",
  "view.solved": "Solved",
  "view.closed": "Closed",
  "view.suspended": "Suspended",

  "status.new": "new",
  "status.open": "open",
  "status.pending": "pending",
  "status.solved": "solved",
  "status.closed": "closed",

  "queue.unassigned": "unassigned",
  "queue.you": "you",
  "queue.merged_into": "merged into {id}",
  "queue.opened": "opened {ago}",
  "queue.opened_title": "opened {opened} · last activity {last}",
  "queue.messages": {"one": "{count} message", "other": "{count} messages"},
  "queue.attachments": {"one": "{count} attachment", "other": "{count} attachments"},
  "queue.no_match": "No ticket matches “{search}”.",
  "queue.none_mine": "Nothing assigned to you is waiting.",
  "queue.none_working": "No working tickets in {mailbox}.",
  "queue.none_new": "No new tickets in {mailbox}.",
  "queue.none_open": "No open tickets in {mailbox}.",
  "queue.none_pending": "No pending tickets in {mailbox}.",
  "queue.none_solved": "No solved tickets in {mailbox}.",
  "queue.none_closed": "No closed tickets in {mailbox}.",
  "queue.none_suspended": "No suspended mail in {mailbox}.",
  "ticket.no_subject": "(no subject)",

  "queue.label": "Queue",
  "queue.search_label": "Search tickets",
  "queue.search_placeholder": "Search: T-1042, address, @domain, words, file (/)",
  "queue.views_label": "Ticket status",
  "queue.bulk_label": "Bulk actions on the selected tickets",
  "queue.tickets_label": "Tickets",
  "queue.more": "Load more",
  "queue.back_label": "Back to the queue",
  "queue.back": "← Queue",

  "ticket.none_open": "Select a ticket, or press {0} to claim the next one.",
  "ticket.help_hint": "Press {0} for all shortcuts.",
  "merge.dialog_label": "Merge into another ticket",

  "help.title": "Keyboard shortcuts",
  "help.n": "claim the next unassigned ticket",
  "help.search": "search every mailbox (Esc and clear to go back)",
  "help.jk": "next / previous ticket in the queue",
  "help.r": "reply to the customer",
  "help.i": "write an internal note",
  "help.psc": "mark pending / solved / closed",
  "help.send": "send the reply or note you are writing",
  "help.esc": "leave the text box",
  "help.help": "this help",
  "help.close": "Close"
};
