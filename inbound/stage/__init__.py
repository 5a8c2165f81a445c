"""A stage in AWS: provisioning its resources, its CloudFormation template and Lambda package, its IAM
policies and alarms, and verifying it once deployed. The desired-state documents both provisioning and
the template build from are public in `documents`."""
