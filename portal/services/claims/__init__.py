"""Claims (理赔申请): filing, documents, the automatic assessment, and what pages read.

A member files for themself; a union officer files for a member of its own union. The cover a
claim is judged against is always found from the claimant and the event date, never chosen by
whoever fills the form, so a claim on someone else's cover cannot be made.

``filing`` starts, saves and submits; ``documents`` checks, stores, removes and opens uploaded
files; ``assessment`` finds the cover, runs the automatic checks and computes the benefit;
``timeline`` writes the steps and texts the member reads; ``access`` says who may see or change a
claim; ``queries`` are the lists and look-ups of the pages. Import the module, then call it:
``from portal.services.claims import filing`` … ``filing.submit_claim(...)``.
"""
