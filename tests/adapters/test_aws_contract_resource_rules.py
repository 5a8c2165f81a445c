"""The AWS contract's resource rules (inbound/local/aws_contract/resource_rules.py): what the
requests that make resources must satisfy on AWS and moto does not check.

GIVEN two sessions on one moto, `bare` without the hook and `aws` with it,
WHEN the same request goes through each,
THEN moto takes it from `bare` and the hook refuses it from `aws`, as AWS would; its valid
neighbour passes.
"""

from __future__ import annotations

import json
from typing import Any

from tests.support.aws_contract_sessions import ACCOUNT, REGION, Sessions, refused, table


def test_sqs_queue_attributes_in_their_documented_ranges(sessions: Sessions) -> None:
    aws, bare = sessions.both("sqs")
    bare.create_queue(QueueName="bare", Attributes={"VisibilityTimeout": "43201", "DelaySeconds": "901"})
    for i, (name, bad, good) in enumerate(
        [
            ("VisibilityTimeout", "43201", "43200"),
            ("MessageRetentionPeriod", "59", "1209600"),
            ("DelaySeconds", "901", "900"),
            ("ReceiveMessageWaitTimeSeconds", "21", "20"),
            ("MaximumMessageSize", "1048577", "1024"),
            ("VisibilityTimeout", "thirty", "30"),
        ]
    ):
        refused(
            lambda q=f"aws-{i}", n=name, b=bad: aws.create_queue(QueueName=q, Attributes={n: b}),
            "InvalidAttributeValue",
            "sqs-queue-attributes",
        )
        url = aws.create_queue(QueueName=f"aws-{i}", Attributes={name: good})["QueueUrl"]
        refused(
            lambda u=url, n=name, b=bad: aws.set_queue_attributes(QueueUrl=u, Attributes={n: b}),
            "InvalidAttributeValue",
            "sqs-queue-attributes",
        )
    dlq = f"arn:aws:sqs:{REGION}:{ACCOUNT}:aws-0"
    aws.create_queue(
        QueueName="with-dlq",
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq, "maxReceiveCount": 5})},
    )


def _lifecycle(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"Rules": [{"Status": "Enabled", "Filter": {"Prefix": "a/"}, **rule} for rule in rules]}


def test_s3_lifecycle_transitions_expirations_and_rule_ids(sessions: Sessions) -> None:
    aws, bare = sessions.both("s3")
    aws.create_bucket(Bucket="mail")
    too_early = _lifecycle({"ID": "ia", "Transitions": [{"Days": 7, "StorageClass": "STANDARD_IA"}]})
    bare.put_bucket_lifecycle_configuration(Bucket="mail", LifecycleConfiguration=too_early)
    for config in [
        too_early,
        _lifecycle({"ID": "ia", "Transitions": [{"Days": 29, "StorageClass": "ONEZONE_IA"}]}),
        _lifecycle({"ID": "gone", "Expiration": {"Days": 0}}),
        _lifecycle({"ID": "same", "Expiration": {"Days": 1}}, {"ID": "same", "Expiration": {"Days": 2}}),
    ]:
        refused(
            lambda c=config: aws.put_bucket_lifecycle_configuration(Bucket="mail", LifecycleConfiguration=c),
            "InvalidArgument",
            "s3-lifecycle",
        )
    aws.put_bucket_lifecycle_configuration(
        Bucket="mail",
        LifecycleConfiguration=_lifecycle(
            {"ID": "ia", "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}]},
            {"ID": "cold", "Transitions": [{"Days": 0, "StorageClass": "GLACIER_IR"}]},
            {"ID": "gone", "Expiration": {"Days": 1}},
        ),
    )


def test_cloudwatch_alarm_periods_and_evaluation_range(sessions: Sessions) -> None:
    aws, bare = sessions.both("cloudwatch")
    alarm = {
        "AlarmName": "a",
        "MetricName": "Errors",
        "Namespace": "AWS/Lambda",
        "Statistic": "Sum",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 0,
    }
    bare.put_metric_alarm(**alarm, Period=45, EvaluationPeriods=1)
    for bad in [
        {"Period": 45, "EvaluationPeriods": 1},
        {"Period": 300, "EvaluationPeriods": 289},  # over a day at a period under an hour
        {"Period": 3600, "EvaluationPeriods": 169},  # over seven days
        {"Period": 300, "EvaluationPeriods": 3, "DatapointsToAlarm": 4},
    ]:
        refused(
            lambda b=bad: aws.put_metric_alarm(**alarm, **b), "ValidationError", "cloudwatch-alarm-period"
        )
    stat = {"Metric": {"Namespace": "inbound", "MetricName": "Quarantined"}, "Stat": "Sum", "Period": 90}
    math = {k: v for k, v in alarm.items() if k not in ("MetricName", "Namespace", "Statistic")}
    refused(
        lambda: aws.put_metric_alarm(**math, EvaluationPeriods=1, Metrics=[{"Id": "q", "MetricStat": stat}]),
        "ValidationError",
        "cloudwatch-alarm-period",
    )
    aws.put_metric_alarm(**alarm, Period=300, EvaluationPeriods=288, DatapointsToAlarm=3)
    aws.put_metric_alarm(**alarm, Period=10, EvaluationPeriods=1)


def test_lambda_sqs_batches_over_ten_need_a_batching_window(sessions: Sessions) -> None:
    aws, bare = sessions.both("lambda")
    role = sessions.aws.client("iam", region_name=REGION).create_role(
        RoleName="fn", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    aws.create_function(
        FunctionName="ingest", Runtime="python3.11", Role=role, Handler="app.ingest", Code={"ZipFile": b"PK"}
    )
    queue = sessions.aws.client("sqs", region_name=REGION).create_queue(QueueName="ingest")["QueueUrl"]
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue.rsplit('/', 1)[1]}"
    bare.create_event_source_mapping(EventSourceArn=arn, FunctionName="ingest", BatchSize=100)
    refused(
        lambda: aws.create_event_source_mapping(EventSourceArn=arn, FunctionName="ingest", BatchSize=100),
        "InvalidParameterValueException",
        "lambda-sqs-batch",
    )
    aws.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="ingest", BatchSize=100, MaximumBatchingWindowInSeconds=1
    )
    aws.create_event_source_mapping(EventSourceArn=arn, FunctionName="ingest", BatchSize=10)


def test_sns_subscription_attributes_and_their_values(sessions: Sessions) -> None:
    aws, bare = sessions.both("sns")
    topic = aws.create_topic(Name="received")["TopicArn"]
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:ingest"
    bare.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "yes"})
    for attributes in ({"RawMessageDelivery": "yes"}, {"FilterPolicyScope": "Body"}, {"RawDelivery": "true"}):
        refused(
            lambda a=attributes: aws.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue, Attributes=a),
            "InvalidParameter",
            "sns-subscription-attributes",
        )
    arn = aws.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "true"}
    )["SubscriptionArn"]
    refused(
        lambda: aws.set_subscription_attributes(
            SubscriptionArn=arn, AttributeName="RawMessageDelivery", AttributeValue="1"
        ),
        "InvalidParameter",
        "sns-subscription-attributes",
    )
    aws.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="RawMessageDelivery", AttributeValue="false"
    )


def test_dynamodb_one_index_created_or_deleted_per_update_table(sessions: Sessions) -> None:
    aws, bare = sessions.both("dynamodb")
    table(aws, "tickets")

    def index(name: str) -> dict[str, Any]:
        return {
            "Create": {
                "IndexName": name,
                "KeySchema": [{"AttributeName": "sk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        }

    definitions = [{"AttributeName": "sk", "AttributeType": "S"}]
    bare.update_table(
        TableName="tickets",
        AttributeDefinitions=definitions,
        GlobalSecondaryIndexUpdates=[index("by-a"), index("by-b")],
    )
    refused(
        lambda: aws.update_table(
            TableName="tickets",
            AttributeDefinitions=definitions,
            GlobalSecondaryIndexUpdates=[index("by-c"), index("by-d")],
        ),
        "ValidationException",
        "dynamodb-one-index-per-update",
    )
    aws.update_table(
        TableName="tickets", AttributeDefinitions=definitions, GlobalSecondaryIndexUpdates=[index("by-c")]
    )


def test_cognito_token_validity_in_its_units(sessions: Sessions) -> None:
    aws, bare = sessions.both("cognito-idp")
    pool = aws.create_user_pool(PoolName="staff")["UserPool"]["Id"]
    minutes = {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"}
    bare.create_user_pool_client(
        UserPoolId=pool, ClientName="bare", AccessTokenValidity=2, TokenValidityUnits=minutes
    )
    for bad in [
        {"AccessTokenValidity": 2, "TokenValidityUnits": minutes},  # under five minutes
        {"IdTokenValidity": 25},  # hours by default: over a day
        {"RefreshTokenValidity": 3651},  # days by default: over ten years
        {"RefreshTokenValidity": 30, "TokenValidityUnits": {"RefreshToken": "minutes"}},  # under an hour
    ]:
        refused(
            lambda b=bad: aws.create_user_pool_client(UserPoolId=pool, ClientName="console", **b),
            "InvalidParameterException",
            "cognito-token-validity",
        )
    aws.create_user_pool_client(
        UserPoolId=pool,
        ClientName="console",
        AccessTokenValidity=60,
        IdTokenValidity=60,
        RefreshTokenValidity=30,
        TokenValidityUnits=minutes,
    )
