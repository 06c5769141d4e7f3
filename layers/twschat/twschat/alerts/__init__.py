"""Alerts pushed over the open connection (issue 18): subscriptions ("me avisa quando o JOB014
terminar") and team alerts (every new ABEND), found by a watcher cycle that reads the TWS once per kind
of target, diffs against the last snapshot and delivers each alert once.

Pure: no AWS import. :mod:`.model` (subscriptions, observations, changes, alert ids), :mod:`.ports` (what
the cycle needs from storage and delivery), :mod:`.cycle` (one watcher cycle).
"""
