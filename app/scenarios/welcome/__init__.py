"""The welcome series: a new subscriber's first emails, stopped by their first order."""
