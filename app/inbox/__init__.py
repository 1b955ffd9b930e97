"""The webhook inbox as the rest of the app sees it: the processing job's name and ids, and
what the merchant's admin may do with stored events. The receiver and the topic handlers (the
`webhooks` package) write the inbox; the admin API reads and replays it through here."""
