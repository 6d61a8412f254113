"""How tracker-bridge reads the places where the regulation's text needs reading: the two
deadline clocks, what a customer's reply means, and the settings that choose between readings.

``tracker-bridge regulation -v`` prints this after the clauses, and docs/regulation.md carries
it (``tests/test_registry.py`` keeps both in step). Each setting named here is tested at both
values; the tests are listed under the setting.
"""

from __future__ import annotations

__all__ = ["READINGS"]

READINGS = """\
Two clocks (R10, R14, R17)
  reaction   R10 "Заявкам с большим приоритетом принимаются в работу ежедневно, не позднее 3-х
             суток с момента появления". High priorities only (regulation.high_priorities).
             Starts when the mail reached the mailbox (IMAP INTERNALDATE, Maildir delivery
             time; Tracker field mailReceivedAt), 72 calendar hours (regulation.high_reaction,
             high_reaction_unit). Met at the first move by a person out of «Открыто»: into
             work, a question («Запрошена дополнительная информация»), or an end. The bridge's
             own moves (back to work after a customer's answer, the auto-close) never count; a
             /take or /info from the Telegram group is the support person's move. It does not
             pause: the text subtracts waiting from the execution term only.
             Texts: «Срок взятия в работу»; Tracker field reactionDeadline.
  execution  R17 "Некритические заявки могут быть отложены по выполнению на срок до 14 рабочих
             дней" with R10 "срок ожидания вычитается из срока исполнения". From the mail's
             arrival until the customer accepts the change («Проверено, ошибок нет»,
             «Перенос на основную среду»; regulation.execution_done) or the request ends;
             time in «Ожидание тестирования клиентом» and «Запрошена дополнительная
             информация» (R14) is added back to the deadline, and «Найдена ошибка» puts the
             clock back to work. 14 working days for every priority: the text gives high
             priorities no term of their own, and a request that "принимаются в работу
             ежедневно" may not wait longer than one that may be deferred, so the non-critical
             ceiling is theirs too (regulation.high_execution). Texts: «Срок исполнения»;
             Tracker fields slaDeadline (date and time) and deadline (the date).
  Every alert, card line, digest line and mail names its clock; `explain` prints both,
  `sla-report` counts both (REACT … / EXEC … columns); the metric label kind is reaction,
  execution or silence.

What a customer's reply does (R8, R15, R19)
  info requested      any answer (text or files) → «В работе»; the silence clock stops.
  awaiting testing    an explicit confirmation of the whole change («проверено, ошибок нет»,
                      «всё работает, можно переносить») from an allowed confirmer →
                      «Проверено, ошибок нет»; corrections or a new problem («работает, кроме
                      …», «ошибок нет, но …», «не сохраняется …») → «Найдена ошибка» (R13: back
                      in work) and support is alerted; anything unsure (a question, thanks
                      only) → a comment, support is alerted, and the request leaves waiting
                      («В работе»): support owes the next step.
  a reply that only defers («посмотрю завтра», «проверим на следующей неделе») keeps the
                      request waiting and restarts its 10 working days.
  Only silence closes (R19): reminders and the auto-close follow only while the customer owes
  the answer; mail that reached the mailbox before the 10th working day ended counts, however
  late the bridge reads it.

Settings that change a reading
  regulation.quiet_urgent_breaches = false
             A 72-hour reaction deadline runs through nights and public holidays (the deadline
             is the deadline). Its breach is told at once, even at night: the clinic is
             blocked and Telegram is its urgent channel (R5). true: the breach waits for the
             opening like every other alert (R6).
  calendar.transferred_saturdays = true
             "с понедельника по пятницу в рабочие дни": the production calendar's transferred
             working Saturdays are working days, so support works them and working-day clocks
             count them. false: Monday to Friday only.
  calendar.shortened_by = "1h"
             A pre-holiday day closes at 17:00 (Labour Code art. 95). "0s": support works until
             18:00 on those days too.
  regulation.terminal_reply.closed = "reopen"
             The status table says "Закрытые задачи можно вновь открыть" («Открыто
             повторно»), and R20's list of ignored statuses names «Завершено», not «Закрыто»:
             a reply to plain «Закрыто» reopens the request. "reject": refused with the R20
             explanation, as for the statuses R20 names.
  regulation.notify_taken_into_work = true
             "О каждом событии в СПЗ … пользователь получает уведомление": the requester is
             told when a person takes the request into work. false: not told.
"""
