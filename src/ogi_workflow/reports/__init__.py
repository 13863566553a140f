"""Reports: the annual 政府信息公开工作年度报告 (``annual``) and its workbook (``xlsx``)."""
