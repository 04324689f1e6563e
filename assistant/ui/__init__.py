"""What the Streamlit front end (app/) needs that is not Streamlit itself: a client for the
assistant (in-process or over HTTP), the feedback store, text helpers."""
