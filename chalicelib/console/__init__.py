"""The staff console: one static page at `/` that works the queue through the JSON API.

The page and its assets hold no data and are served without a token; everything the
agent sees comes from `/api/` with the bearer token the page got at sign-in. Sign-in
goes through a same-origin proxy to Cognito (`/console/login...`), so the browser
never has to reach an AWS host (nor the local moto endpoint).
"""
