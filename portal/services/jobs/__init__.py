"""Work-study "关爱·圆梦", one module per sub-area; import the module, not its functions.

``enterprises`` (registration and the union's review), ``positions`` (posting, closing, places),
``students`` (a parent registers a child; a student applying alone with the parent's code),
``applications`` (applying, withdrawing, the enterprise's answer), ``placements`` (agreement and
insurance, weekly attendance, the end and the certificate), ``concerns`` (a student's problem and
the union's answer); ``access`` says who may touch which record and ``queries`` builds the pages'
read models. Every action that writes runs in one unit of work and never commits on its own.
"""
