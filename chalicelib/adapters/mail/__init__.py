"""Reading received mail: the MIME walk, large parts streamed to disk, the reader that turns raw bytes
into `ParsedMail` (with mail-parser), body rendering (nh3, mail-parser-reply) and bounce recognition
(flufl.bounce)."""
