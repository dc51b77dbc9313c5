"""The staff dashboard: live figures per scope (``queries``), the monthly report workbook
(``report``) and the counts of work waiting shown in the staff navigation (``queues``)."""
