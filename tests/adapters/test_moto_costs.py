"""moto's DynamoDB and SQS as the embedded stack patches them (inbound/local/moto_fidelity.py,
moto_speed.py): what a transaction, a Query and a receive return is moto's own; only what
they copy and read is narrowed."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.call_counts import calls_of


def _backend_table(stack: Any) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    account = stack.client("sts").get_caller_identity()["Account"]
    return dynamodb_backends[account]["us-east-1"].tables[stack.settings.tickets_table]


def _put(db: Any, table: str, pk: str, sk: str, n: int) -> None:
    db.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": sk}, "n": {"N": str(n)}})


def _everything(db: Any, table: str) -> list[tuple[str, str, str]]:
    items = db.scan(TableName=table)["Items"]
    return sorted((i["pk"]["S"], i["sk"]["S"], i.get("n", {}).get("N", "")) for i in items)


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _failing_transaction(table: str) -> list[dict[str, Any]]:
    """Update, delete and put in a partition, put in a new one, then a condition that fails."""
    return [
        {
            "Update": {
                "TableName": table,
                "Key": _key("P", "s1"),
                "UpdateExpression": "SET n = :n",
                "ExpressionAttributeValues": {":n": {"N": "99"}},
            }
        },
        {"Delete": {"TableName": table, "Key": _key("P", "s2")}},
        {"Put": {"TableName": table, "Item": _key("P", "new")}},
        {"Put": {"TableName": table, "Item": _key("Q", "new")}},
        {
            "Put": {
                "TableName": table,
                "Item": _key("P", "s3"),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ]


def test_a_cancelled_transaction_leaves_every_item_as_it_was(stack):
    db, table = stack.client("dynamodb"), stack.settings.tickets_table
    for n in range(5):
        _put(db, table, "P", f"s{n}", n)
    _put(db, table, "R", "r", 7)
    before = _everything(db, table)

    with pytest.raises(ClientError) as refused:
        db.transact_write_items(TransactItems=_failing_transaction(table))

    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _everything(db, table) == before
    assert (
        db.query(
            TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "Q"}}
        )["Items"]
        == []
    )


def test_a_cancelled_transaction_copies_only_the_items_it_named(stack):
    """moto put a deep copy of the whole table back after a cancelled transaction; now the
    table and every item the transaction did not name are the very objects they were."""
    db, table = stack.client("dynamodb"), stack.settings.tickets_table
    for n in range(5):
        _put(db, table, "P", f"s{n}", n)
    live = _backend_table(stack)
    partition = next(key for key in live.items if key.value == "P")
    untouched = {sk: item for sk, item in live.items[partition].items() if sk.value in ("s0", "s4")}

    with pytest.raises(ClientError):
        db.transact_write_items(TransactItems=_failing_transaction(table))

    after = _backend_table(stack)
    assert after is live
    assert len(untouched) == 2
    assert all(after.items[partition][sk] is item for sk, item in untouched.items())


def test_a_transaction_that_commits_applies_every_item(stack):
    db, table = stack.client("dynamodb"), stack.settings.tickets_table
    for n in range(3):
        _put(db, table, "P", f"s{n}", n)

    db.transact_write_items(TransactItems=_failing_transaction(table)[:4])

    assert _everything(db, table) == [
        ("P", "new", ""),
        ("P", "s0", "0"),
        ("P", "s1", "99"),
        ("Q", "new", ""),
    ]


def test_a_query_reads_its_partition_in_order_and_by_pages(stack):
    db, table = stack.client("dynamodb"), stack.settings.tickets_table
    for n in range(7):
        _put(db, table, "P", f"s{n}", n)
        _put(db, table, "O", f"s{n}", 100 + n)  # another partition, interleaved
    query = {
        "TableName": table,
        "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":p": {"S": "P"}, ":a": {"S": "s1"}, ":b": {"S": "s5"}},
        "ScanIndexForward": False,
        "Limit": 2,
    }
    seen = []
    while True:
        page = db.query(**query)
        seen += [(i["sk"]["S"], i["n"]["N"]) for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    assert seen == [("s5", "5"), ("s4", "4"), ("s3", "3"), ("s2", "2"), ("s1", "1")]
    assert (
        db.query(
            TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "none"}}
        )["Items"]
        == []
    )


def test_a_receive_still_hands_out_every_message_once(stack):
    sqs = stack.client("sqs")
    url = sqs.create_queue(QueueName="moto-costs", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    for n in range(15):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))

    bodies = []
    for _ in range(3):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)
        bodies += [m["Body"] for m in got.get("Messages", [])]

    assert sorted(bodies, key=int) == [str(n) for n in range(15)]


def test_sending_keeps_fifo_deduplication_and_the_queue_counts(stack):
    sqs = stack.client("sqs")
    fifo = sqs.create_queue(
        QueueName="moto-costs.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    for _ in range(2):
        sqs.send_message(QueueUrl=fifo, MessageBody="same", MessageGroupId="g")
    plain = sqs.create_queue(QueueName="moto-costs-plain")["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=plain, MessageBody=str(n))

    def count(url: str) -> str:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return str(attributes["Attributes"]["ApproximateNumberOfMessages"])

    assert (count(fifo), count(plain)) == ("1", "3")
    with pytest.raises(ClientError):  # a FIFO queue without content-based deduplication needs an id
        other = sqs.create_queue(QueueName="moto-costs-ids.fifo", Attributes={"FifoQueue": "true"})
        sqs.send_message(QueueUrl=other["QueueUrl"], MessageBody="x", MessageGroupId="g")


def test_an_update_expression_is_parsed_once_and_each_update_resolves_its_own_tree(stack):
    """moto parsed every UpdateExpression twice per Update; now once (moto_speed), and each
    Update still resolves a copy of its own: the same expression on a new item and on an
    existing one, in one transaction, applies both."""
    from inbound.local import moto_speed

    db, table = stack.client("dynamodb"), stack.settings.tickets_table
    expression = "SET n = if_not_exists(n, :zero) + :step, #w = :who ADD seen :one"
    _put(db, table, "P", "old", 40)
    before = moto_speed.parses

    def update(sk: str, step: int, who: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": table,
                "Key": _key("P", sk),
                "UpdateExpression": expression,
                "ExpressionAttributeNames": {"#w": "who"},
                "ExpressionAttributeValues": {
                    ":zero": {"N": "0"},
                    ":step": {"N": str(step)},
                    ":who": {"S": who},
                    ":one": {"N": "1"},
                },
            }
        }

    db.transact_write_items(TransactItems=[update("old", 2, "ann"), update("new", 5, "bob")])
    db.transact_write_items(TransactItems=[update("old", 1, "cy")])

    assert moto_speed.parses - before <= 1  # 3 Updates, each checked and applied: parsed once
    got = {i["sk"]["S"]: i for i in db.scan(TableName=table)["Items"] if i["pk"]["S"] == "P"}
    assert (got["old"]["n"]["N"], got["old"]["who"]["S"], got["old"]["seen"]["N"]) == ("43", "cy", "2")
    assert (got["new"]["n"]["N"], got["new"]["who"]["S"], got["new"]["seen"]["N"]) == ("5", "bob", "1")


def test_an_object_overwritten_or_deleted_mid_read_stays_readable_to_that_read(stack):
    """moto closed an overwritten or deleted object's buffer at once, so a request still
    reading it (a PutObject computing its ETag, a GetObject) failed with a 500; S3 does not
    fail a read for a concurrent write (moto_fidelity closes it once nothing refers to it)."""
    from moto.s3.models import s3_backends

    s3, bucket = stack.client("s3"), stack.settings.mail_bucket
    account = stack.client("sts").get_caller_identity()["Account"]
    backend = s3_backends[account]["aws"]
    s3.put_object(Bucket=bucket, Key="incoming/same", Body=b"first")
    s3.put_object(Bucket=bucket, Key="incoming/gone", Body=b"kept while read")
    in_flight = backend.get_object(bucket, "incoming/same")  # what a request in flight holds
    deleted_in_flight = backend.get_object(bucket, "incoming/gone")

    s3.put_object(Bucket=bucket, Key="incoming/same", Body=b"second")
    s3.delete_object(Bucket=bucket, Key="incoming/gone")

    assert in_flight.value == b"first" and in_flight.etag.strip('"')
    assert deleted_in_flight.value == b"kept while read"
    assert s3.get_object(Bucket=bucket, Key="incoming/same")["Body"].read() == b"second"


def test_a_request_finds_its_handler_method_without_listing_the_class(stack):
    """moto listed every function of the handler's class (inspect.getmembers) on each request
    to find one; the action's method is looked up by name (moto_speed), and a method the local
    stack adds to a moto class (moto_fidelity's DeleteReceiptRule) is still found."""
    import inspect

    db, ses = stack.client("dynamodb"), stack.client("ses")
    key = _key("P", "looked-up")
    ses.create_receipt_rule_set(RuleSetName="moto-costs-rules")

    def requests() -> None:
        db.get_item(TableName=stack.settings.tickets_table, Key=key)
        ses.delete_receipt_rule(RuleSetName="moto-costs-rules", RuleName="absent")

    assert calls_of(inspect.getmembers, requests) == 0  # and both answered (no error raised)


def test_update_expressions_are_checked_as_moto_checks_them_and_a_passed_check_is_not_walked_again(stack):
    """moto walks an update expression's tree ten times per validation, its action-count check
    listing the clauses again at every node (moto_validation): the checks that change nothing
    run once per expression, names and table; failures fail every time, with moto's errors."""
    from moto.dynamodb.parsing.validators import ActionCountValidator

    db, table = stack.client("dynamodb"), stack.settings.tickets_table
    expression = "SET #a = if_not_exists(#a, :zero) + :one, tags = list_append(if_not_exists(tags, :none), :t) REMOVE gone"

    def update(sk: str, text: str = expression, names: dict[str, str] | None = None) -> None:
        values = {":zero": {"N": "0"}, ":one": {"N": "1"}, ":none": {"L": []}, ":t": {"L": [{"S": sk}]}}
        used = {k: v for k, v in values.items() if k in text}
        db.update_item(
            TableName=table,
            Key=_key("V", sk),
            UpdateExpression=text,
            ExpressionAttributeNames=names or {"#a": "count"},
            **({"ExpressionAttributeValues": used} if used else {}),
        )

    update("first")
    checks = calls_of(ActionCountValidator.verify_action_counts, lambda: (update("first"), update("second")))
    refusals = []
    for _ in range(2):
        for text, names in [
            ("SET #a = :one SET tags = :t", None),  # two SET clauses
            ("SET #a = :one, #a = :zero", None),  # the same path twice
            ("SET #a = :one", {"#a": "pk"}),  # a key attribute
        ]:
            with pytest.raises(ClientError) as refused:
                update("refused", text, names)
            refusals.append(refused.value.response["Error"]["Message"])

    assert checks == 0
    got = {i["sk"]["S"]: i for i in db.scan(TableName=table)["Items"] if i["pk"]["S"] == "V"}
    assert got["first"]["count"] == {"N": "2"} and got["first"]["tags"]["L"] == [{"S": "first"}] * 2
    assert got["second"]["count"] == {"N": "1"} and "refused" not in got
    assert refusals[:3] == refusals[3:]
    assert '"SET" section can only be used once' in refusals[0]
    assert "paths overlap" in refusals[1] and "Cannot update attribute pk" in refusals[2]


# A fresh process: moto.ec2 is imported once per process, and this one's has been.
_EC2_REGIONS = """
import json
import botocore.loaders
loads = []
read = botocore.loaders.JSONFileLoader.load_file
def counted(self, path):
    loads.append(path)
    return read(self, path)
botocore.loaders.JSONFileLoader.load_file = counted
from inbound.local.embedded import emulated_aws
emulated_aws()
import boto3
from moto.ssm.models import ssm_backends  # what inbound up's first SSM request imports
from moto.ec2.models import availability_zones_and_regions as module
listed = sum(path.endswith("/ec2/2016-11-15/service-2") for path in loads)
expected = [
    *boto3.Session().get_available_regions("ec2"),
    *boto3.Session().get_available_regions("ec2", partition_name="aws-us-gov"),
    *boto3.Session().get_available_regions("ec2", partition_name="aws-cn"),
]
print(json.dumps({
    "loads": listed,
    "regions": [r.name for r in module.RegionsAndZonesBackend.regions],
    "expected": expected,
    "restored": module.Session is boto3.Session and boto3.Session is boto3.session.Session,
}))
"""


def test_importing_moto_ssm_loads_ec2s_service_model_once_and_lists_the_same_regions():
    import json
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run(
        [sys.executable, "-c", _EC2_REGIONS],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])

    assert found["loads"] == 1  # moto's three new Sessions loaded it three times
    assert found["regions"] == found["expected"]
    assert "us-east-1" in found["regions"] and "cn-north-1" in found["regions"]
    assert found["restored"]


def test_a_new_user_pool_imports_no_key_and_its_tokens_verify_with_cognitos_published_key(stack):
    """moto imported its one signing key again for every pool (recovering the key's primes);
    a pool made after the stack's own shares it, and what it signs verifies as before."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric.rsa import rsa_recover_prime_factors

    from tests.support.staff_auth import moto_jwks, sign_in

    cognito, made = stack.client("cognito-idp"), {}

    def new_pool() -> None:
        pool = cognito.create_user_pool(PoolName="moto-costs-pool")["UserPool"]["Id"]
        client = cognito.create_user_pool_client(
            UserPoolId=pool, ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        made.update(pool=pool, client=client)

    assert calls_of(rsa_recover_prime_factors, new_pool) == 0
    token = sign_in(cognito, made["pool"], made["client"], "ann@example.com")["id"]
    [public] = moto_jwks()["keys"]
    claims = jwt.decode(token, jwt.PyJWK(public).key, algorithms=["RS256"], audience=made["client"])
    assert claims["iss"].endswith(made["pool"]) and claims["cognito:username"] == "ann@example.com", claims
