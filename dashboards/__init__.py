"""The Streamlit app on the published analytics database (entry point: dashboards/app.py)."""
