"""The citizen e-office (seu electrònica): identity, procedure information, filing and the
citizen's folder. Views in ``webapp.views.seu`` call these services."""
