"""The job queue behind our own interface: arq today, one module to change tomorrow."""

from app.queue.interface import CronJob, JobContext, JobFunction, JobQueue, RetryJob

__all__ = ["CronJob", "JobContext", "JobFunction", "JobQueue", "RetryJob"]
