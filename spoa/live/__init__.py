"""The supervisors' live queue: what a row shows (queue_view), how a committed
change is announced to every web process (publish, through Redis pub/sub), and
how each web process fans it out to its open pages (broadcast, Server-Sent Events)."""
