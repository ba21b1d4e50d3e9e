"""The messages an e-office filing is delivered to a waiting procedure as: the names a BPMN's catch
events use, read by the filing (which delivers them) and by the folder (which shows what is awaited)."""

#: The message a requeriment's answer is delivered as (see tests/fixtures/bpmn/seu_instancia_esmena.bpmn).
ANSWER_MESSAGE = "resposta_requeriment"
#: The message allegations in an audiència are delivered as (Ley 39/2015 art. 82.2): filed the same way.
ALLEGATIONS_MESSAGE = "al_legacions"
#: The message a request to extend a requeriment's term is delivered as (Ley 39/2015 art. 68.2).
EXTENSION_MESSAGE = "ampliacio_termini"
