"""The embedded stack (`inbound up`, `inbound process`): moto on loopback provisioned as the cloud is,
SES receiving and sending emulated, Lambda's event sources driving the Chalice handlers, state kept
between runs."""
