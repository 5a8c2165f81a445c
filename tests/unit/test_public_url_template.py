"""A stage made from the CloudFormation template knows its URL: the stack writes the API's
URL into the SSM parameter the functions read (adapters/ssm_public_url.py), and each
function may read exactly that parameter."""

from __future__ import annotations

from inbound.stage.cfn_template import REST_API, merge_template, template_names
from inbound.stage.iam_policies import policy_documents


def test_the_stack_writes_the_apis_url_for_links_in_mail_without_a_cycle():
    template = merge_template(
        template_names("prod", "acme-support.test"),
        mailboxes=["support"],
        ingest_function_timeout=60,
        feedback_function_timeout=30,
        api_stage="v1",
    )
    parameter = template["Resources"]["PublicUrlParameter"]
    assert parameter["Type"] == "AWS::SSM::Parameter"
    assert parameter["Properties"]["Name"] == "/inbound/prod/public-url"
    assert parameter["Properties"]["Value"] == {
        "Fn::Sub": f"https://${{{REST_API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/v1"
    }
    # No function names the API (the API names the API handler: that would be a cycle).
    functions = [r for r in template["Resources"].values() if r.get("Type") == "AWS::Serverless::Function"]
    assert all("RestAPI" not in str(f.get("Properties", {}).get("Environment")) for f in functions)


def test_every_function_that_mails_links_may_read_the_parameter():
    names = template_names("prod", "acme-support.test")
    for function, document in policy_documents(names, ["support@acme-support.test"]).items():
        resources = [s["Resource"] for s in document["Statement"] if s["Sid"] == "PublicUrl"]
        if function == "record_feedback":  # sends nothing
            assert resources == []
            continue
        assert resources == [
            "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/inbound/prod/public-url"
        ]
