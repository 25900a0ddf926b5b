"""The duty rota (issue 15): duty words, UK local times, adding and removing
shifts, who may edit, and the gaps a queue warns about."""
from spoa.services import rota


def test_duty_words_name_each_duty_as_a_person_reads_it(app, db):
    with app.app_context():
        assert rota.duty_words("service_duty_lead:crisis_response") == "Crisis response duty lead"
        assert rota.duty_words("service_duty_lead:mental_health_crisis") == "Mental health crisis team duty lead"
        assert rota.duty_words("spoa_supervisor") == "SPOA supervisor"
        assert rota.duty_words("on_call_manager") == "On-call manager"
