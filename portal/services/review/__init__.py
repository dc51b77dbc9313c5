"""Review (线上不见面审批): reviewers' decisions, payout batches and bank files, discharge-list reminders.

``decisions`` decides claims one by one or in bulk; ``payouts`` batches approved claims, exports
the bank file and records the payment; ``discharges`` turns a hospital-discharge list into
pre-filled drafts and invitations; ``queries`` are the queue, the lists and the look-ups of the
pages. Import the module, then call it: ``from portal.services.review import decisions``.
"""
