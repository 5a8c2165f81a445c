"""botocore's data parsed once per process for the embedded stack's sessions
(inbound/local/shared_models.py).

GIVEN the embedded AWS set up in this process (tests/conftest.py), WHEN new sessions make
clients of a service another session has made one of, THEN no file of botocore's data is
read again: every session shares the one loader and its parsed models.
"""

from __future__ import annotations

import boto3
from botocore.loaders import JSONFileLoader

from tests.support.call_counts import calls_of


def _clients_of_new_sessions() -> None:
    for _ in range(2):
        boto3.session.Session(region_name="us-east-1").client("sqs", endpoint_url="http://127.0.0.1:9")


def test_new_sessions_read_no_model_another_session_read():
    _clients_of_new_sessions()  # whatever this process had not read yet

    assert calls_of(JSONFileLoader.load_file, _clients_of_new_sessions) == 0


def test_every_new_session_has_the_same_loader():
    first, second = boto3.session.Session(), boto3.session.Session()

    assert first._session.get_component("data_loader") is second._session.get_component("data_loader")


def test_moto_reads_its_models_through_one_loader_that_keeps_its_extras():
    from moto.core import utils

    loader = utils.create_loader()

    assert utils.create_loader() is loader
    # moto's extras: the query protocol's result wrappers SQS's JSON model lacks.
    sqs = loader.load_service_model("sqs", "service-2")
    assert sqs["operations"]["GetQueueUrl"]["output"]["resultWrapper"] == "GetQueueUrlResult"


def test_the_shared_search_path_does_not_grow_a_folder_a_session():
    def searched() -> int:
        return len(boto3.session.Session()._session.get_component("data_loader").search_paths)

    before = searched()
    for _ in range(5):
        boto3.session.Session()

    assert searched() == before
