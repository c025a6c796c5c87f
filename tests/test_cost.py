"""hourlyCost: the Price List API's on-demand prices through a provider in us-east-1, turned into USD an
hour for the stack's instances, volumes and public addresses; a failed lookup warns and leaves it null;
the figure the README and docs/cost.md give is what the program computes from the recorded prices."""

import json
import re

import pytest

from components.aws import cost
from tests.harness import ROOT, run_program, stack_config
from tests.mocks import PRICES, REGION, ClusterMocks

PROVIDER = "pulumi:providers:aws"


def price_lookups(run):
    return [args for token, args in run.mocks.invokes if token == "aws:pricing/getProduct:getProduct"]


def test_the_default_stack_is_priced_from_the_price_list():
    run = run_program(stack_config())
    nodes, gib = 3, 20
    expected = nodes * PRICES["t3.medium"] + nodes * gib * PRICES["gp3 per GB-month"] / 730 + nodes * 0.005
    assert run.outputs["hourlyCost"] == round(expected, 4) == 0.1569


NLB_HOUR = "LoadBalancer hourly usage by Network Load Balancer"


def test_three_control_planes_cost_two_instances_disks_addresses_and_two_load_balancers_more():
    single = run_program(stack_config())
    three = run_program(stack_config(controlPlaneCount=3))
    extra = 2 * PRICES["t3.medium"] + 2 * 20 * PRICES["gp3 per GB-month"] / 730 + 2 * 0.005 + 2 * PRICES[NLB_HOUR]
    assert three.outputs["hourlyCost"] == round(single.outputs["hourlyCost"] + extra, 4)


def test_the_load_balancers_are_priced_by_their_hour_from_elastic_load_balancing():
    lookups = price_lookups(run_program(stack_config(controlPlaneCount=3)))
    (balancer,) = [lookup for lookup in lookups if lookup["serviceCode"] == "AWSELB"]
    assert {f["field"]: f["value"] for f in balancer["filters"]} == {
        "regionCode": REGION,
        "locationType": "AWS Region",
        "productFamily": "Load Balancer-Network",
        "operation": "LoadBalancing:Network",
        "groupDescription": NLB_HOUR,  # the hour, not the capacity units of the same family
    }
    assert not [lookup for lookup in price_lookups(run_program(stack_config())) if lookup["serviceCode"] == "AWSELB"]


def test_a_paused_highly_available_cluster_still_pays_for_its_load_balancers():
    run = run_program(stack_config(controlPlaneCount=3, paused="true"))
    disks = 5 * 20 * PRICES["gp3 per GB-month"] / 730
    assert run.outputs["hourlyCost"] == round(disks + 0.005 + 2 * PRICES[NLB_HOUR], 4)


def test_the_lookups_go_through_a_provider_in_a_price_list_region():
    run = run_program(stack_config())
    (provider,) = [r for r in run.resources if r.type == PROVIDER and r.name == "cost-price-list"]
    assert provider.inputs["region"] == "us-east-1"
    used = {ref for token, ref in run.mocks.invoke_providers if token == "aws:pricing/getProduct:getProduct"}
    assert used == {f"{provider.urn}::{provider.name}-id"}
    # It starts without calling AWS: credentials that fail show at the lookup, as a warning.
    assert (
        provider.inputs["skipCredentialsValidation"] == "true" and provider.inputs["skipRequestingAccountId"] == "true"
    )


def test_the_price_list_provider_acts_as_the_stacks_own_aws_identity():
    config = stack_config()
    role = '[{"roleArn": "arn:aws:iam::123456789012:role/deployer", "sessionName": "pulumi"}]'
    config |= {"aws:profile": "lab", "aws:assumeRoles": role, "aws:secretKey": "wJalrXUtnFEMI"}
    run = run_program(config)
    provider = run.named("cost-price-list")
    # A provider's structured inputs go as JSON, as the stack's own configuration holds them.
    assert provider.inputs["profile"] == "lab" and json.loads(provider.inputs["assumeRoles"]) == json.loads(role)
    assert provider.inputs["secretKey"] == "wJalrXUtnFEMI" and "secretKey" in provider.secret_inputs
    assert provider.inputs["region"] == "us-east-1"  # its own region, not the stack's
    assert "assumeRoles" not in provider.secret_inputs and "profile" not in provider.secret_inputs


def test_a_caller_setting_the_stack_keeps_secret_stays_secret_in_the_price_list_provider():
    config = stack_config()
    role = '[{"roleArn": "arn:aws:iam::123456789012:role/deployer", "externalId": "s3cr3t"}]'
    config["aws:assumeRoles"] = role
    provider = run_program(config, secret_keys=("aws:assumeRoles",)).named("cost-price-list")
    assert "assumeRoles" in provider.secret_inputs and json.loads(provider.inputs["assumeRoles"]) == json.loads(role)


def test_the_filters_name_one_linux_on_demand_product_and_the_gp3_storage():
    lookups = price_lookups(run_program(stack_config(workerInstanceType="t3.large")))  # one control plane
    filters = [{f["field"]: f["value"] for f in lookup["filters"]} for lookup in lookups]
    assert all(lookup["serviceCode"] == "AmazonEC2" for lookup in lookups)
    instances = sorted((f for f in filters if "instanceType" in f), key=lambda f: f["instanceType"])
    assert [f["instanceType"] for f in instances] == ["t3.large", "t3.medium"]
    for found in instances:
        assert found == {
            "regionCode": REGION,
            "instanceType": found["instanceType"],
            "operatingSystem": "Linux",
            "tenancy": "Shared",
            "preInstalledSw": "NA",
            "capacitystatus": "Used",
            "licenseModel": "No License required",
        }
    assert {"regionCode": REGION, "productFamily": "Storage", "volumeApiName": "gp3"} in filters


def test_paused_counts_only_the_disks_and_the_elastic_ip():
    run = run_program(stack_config(paused="true", rootVolumeSize=50))
    assert run.outputs["hourlyCost"] == round(3 * 50 * PRICES["gp3 per GB-month"] / 730 + 0.005, 4)


def test_a_failed_lookup_warns_and_leaves_the_figure_unknown():
    run = run_program(stack_config(workerInstanceType="t2.medium"))  # the price list answers nothing for it
    assert run.error is None and run.outputs["hourlyCost"] is None
    (warning,) = [w for w in run.warnings if "hourlyCost" in w]
    assert "the AWS Price List API did not price the stack" in warning and "no results found" in warning
    assert "kubeadm-lab-ready" in {r.name for r in run.resources}  # the cluster is built all the same


def test_a_product_with_more_than_one_price_is_not_guessed_at():
    dimension = {"pricePerUnit": {"USD": "0.1"}}
    product = {"terms": {"OnDemand": {"A": {"priceDimensions": {"x": dimension, "y": dimension}}}}}
    with pytest.raises(ValueError):
        cost.on_demand_usd(json.dumps(product))
    run = run_program(stack_config(), mocks=ClusterMocks(prices={}))
    assert run.outputs["hourlyCost"] is None


def test_the_readme_and_the_cost_page_show_what_the_program_computes():
    computed = run_program(stack_config()).outputs["hourlyCost"]
    readme = (ROOT / "README.md").read_text()
    figures = re.findall(r"\*\*\$([0-9.]+) an hour\*\*", readme)
    assert figures and all(float(figure) == computed for figure in figures)
    page = (ROOT / "docs" / "cost.md").read_text()
    section = " ".join(page[page.index("## The default stack") :].split())  # as one line
    (figure,) = re.findall(r"\*\*\$([0-9.]+) an hour\*\*", section)
    assert float(figure) == computed
    assert f"${PRICES['t3.medium']} an hour for t3.medium" in section
    assert f"${PRICES['gp3 per GB-month']} per GB-month for gp3" in section


def test_the_cost_page_shows_what_two_more_control_planes_add_besides_the_load_balancers():
    page = (ROOT / "docs" / "cost.md").read_text()
    section = " ".join(page[page.index("## Several control planes") :].split())  # as one line
    (figure,) = re.findall(r"\(\$([0-9.]+) an hour more than one control plane", section)
    single = run_program(stack_config()).outputs["hourlyCost"]
    three = run_program(stack_config(controlPlaneCount=3)).outputs["hourlyCost"]
    assert float(figure) == round(three - single - 2 * PRICES[NLB_HOUR], 4)
