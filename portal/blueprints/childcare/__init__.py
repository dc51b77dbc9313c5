"""Summer childcare ("工娃小家"): the public list, parents' registrations, organisers' classes."""
