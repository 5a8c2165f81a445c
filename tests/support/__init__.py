"""What the tests share: builders of mail and AWS events, fakes of SES and Cognito at the edges,
the local stack as a subprocess, the browser, and the fixtures more than one suite uses.

A test module imports from here, never from another test module; a conftest re-exports the
fixtures its suite uses.
"""
