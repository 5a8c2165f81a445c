/* Die deutschen Texte der Konsole (see i18n.js; the same keys as i18n-en.js).
 * JSON inside (double quotes, no trailing comma, no comments), read by
 * tests/unit/test_console_catalogue.py. The agent is addressed as "Sie".
 */
'use strict';

window.InboundStrings = window.InboundStrings || {};
window.InboundStrings.de = {
  "language.short": "DE",
  "language.name": "Deutsch",
  "language.choose": "Sprache",

  "time.just_now": "gerade eben",
  "size.bytes": "{n} B",
  "size.kb": "{n} KB",
  "size.mb": "{n} MB",

  "page.title": "inbound · Support-Warteschlange",
  "top.mailbox": "Postfach",
  "top.mailbox_select": "Postfach {0}",
  "top.claim_next": "Nächstes übernehmen {0}",
  "top.claim_next_title": "Das nächste nicht zugewiesene Ticket übernehmen (n)",
  "top.help_title": "Tastenkürzel (?)",
  "top.sign_out": "Abmelden",
  "top.notify_title": "Desktop-Benachrichtigungen bei neuen Tickets und Kundenantworten auf Ihre Tickets",
  "top.sound_title": "Ein kurzer Ton bei neuen Tickets und Kundenantworten auf Ihre Tickets",

  "signin.title": "Anmelden",
  "signin.who": "Für das Support-Team dieses Postfachs.",
  "signin.email": "E-Mail {0}",
  "signin.password": "Passwort {0}",
  "signin.submit": "Anmelden",
  "signin.new_title": "Neues Passwort wählen",
  "signin.new_why": "Ihr Passwort war ein Einmalpasswort. Wählen Sie ein eigenes, um fortzufahren.",
  "signin.new_password": "Neues Passwort {0}",
  "signin.repeat": "Wiederholen {0}",
  "signin.new_submit": "Passwort setzen und anmelden",

  "signin.signed_out": "Abgemeldet.",
  "signin.signed_out_elsewhere": "In einem anderen Tab abgemeldet.",
  "signin.session_ended": "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.",
  "signin.not_signed_in": "nicht angemeldet",
  "signin.missing": "Geben Sie Ihre E-Mail-Adresse und Ihr Passwort ein.",
  "signin.passwords_differ": "Die beiden Passwörter stimmen nicht überein.",

  "alert.refused": "Abgelehnt: ",
  "alert.failed": "Fehlgeschlagen: ",
  "error.unreachable": "Der Server ist nicht erreichbar; prüfen Sie Ihre Verbindung",

  "view.working": "In Arbeit",
  "view.mine": "Meine",
  "view.new": "Neu",
  "view.open": "Offen",
  "view.pending": "Wartend",
  "view.solved": "Gelöst",
  "view.closed": "Geschlossen",
  "view.suspended": "Zurückgehalten",

  "status.new": "neu",
  "status.open": "offen",
  "status.pending": "wartend",
  "status.solved": "gelöst",
  "status.closed": "geschlossen",

  "queue.unassigned": "nicht zugewiesen",
  "queue.you": "Sie",
  "queue.merged_into": "zusammengeführt in {id}",
  "queue.opened": "eröffnet {ago}",
  "queue.opened_title": "eröffnet {opened} · letzte Aktivität {last}",
  "queue.messages": {"one": "{count} Nachricht", "other": "{count} Nachrichten"},
  "queue.attachments": {"one": "{count} Anhang", "other": "{count} Anhänge"},
  "queue.no_match": "Kein Ticket passt zu „{search}“.",
  "queue.none_mine": "Ihnen ist nichts Offenes zugewiesen.",
  "queue.none_working": "Keine Tickets in Arbeit in {mailbox}.",
  "queue.none_new": "Keine neuen Tickets in {mailbox}.",
  "queue.none_open": "Keine offenen Tickets in {mailbox}.",
  "queue.none_pending": "Keine wartenden Tickets in {mailbox}.",
  "queue.none_solved": "Keine gelösten Tickets in {mailbox}.",
  "queue.none_closed": "Keine geschlossenen Tickets in {mailbox}.",
  "queue.none_suspended": "Keine zurückgehaltene Post in {mailbox}.",
  "ticket.no_subject": "(kein Betreff)",

  "queue.label": "Warteschlange",
  "queue.search_label": "Tickets suchen",
  "queue.search_placeholder": "Suche: T-1042, Adresse, @domain, Wörter, Datei (/)",
  "queue.views_label": "Ticketstatus",
  "queue.bulk_label": "Aktionen für die ausgewählten Tickets",
  "queue.tickets_label": "Tickets",
  "queue.more": "Mehr laden",
  "queue.back_label": "Zurück zur Warteschlange",
  "queue.back": "← Warteschlange",

  "ticket.none_open": "Wählen Sie ein Ticket oder drücken Sie {0}, um das nächste zu übernehmen.",
  "ticket.help_hint": "Drücken Sie {0} für alle Tastenkürzel.",
  "merge.dialog_label": "In ein anderes Ticket zusammenführen",

  "help.title": "Tastenkürzel",
  "help.n": "das nächste nicht zugewiesene Ticket übernehmen",
  "help.search": "in allen Postfächern suchen (Esc und leeren, um zurückzukehren)",
  "help.jk": "nächstes / vorheriges Ticket der Warteschlange",
  "help.r": "dem Kunden antworten",
  "help.i": "eine interne Notiz schreiben",
  "help.psc": "als wartend / gelöst / geschlossen markieren",
  "help.send": "die Antwort oder Notiz senden, die Sie schreiben",
  "help.esc": "das Textfeld verlassen",
  "help.help": "diese Hilfe",
  "help.close": "Schließen"
};
