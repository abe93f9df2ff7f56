"""Reports: the maturity-profile PDF pack and its accessible HTML twin, built from one ReportData."""
