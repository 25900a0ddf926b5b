"""The OpenAPI document is generated from the schemas that validate."""


def test_openapi_describes_the_intake_contract_as_validated(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    intake = spec["components"]["schemas"]["ReferralIntake"]
    assert {"source", "source_reference", "patient", "presenting_need", "consent"} <= set(intake["required"])
    assert "mental_health_crisis" in intake["properties"]["presenting_need"]["enum"]
    assert intake.get("additionalProperties") is False  # unknown fields are refused
    post = spec["paths"]["/api/v1/referrals"]["post"]
    assert {"201", "200", "409", "422", "429"} <= set(post["responses"])
    assert "application/problem+json" in post["responses"]["422"]["content"]


def test_openapi_is_public_but_the_api_is_not(client):
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/v1/referrals").status_code == 401
