"""RQ jobs, the reconciler and the scheduler."""
