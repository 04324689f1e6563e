"""Administration: corpus documents, rebuilds and feedback export, unlocked by the admin token.

Talks to the service's admin API (ASSISTANT_SERVICE_URL); the token stays in this session.
"""

import time

import httpx
import streamlit as st

from assistant.config import Settings

st.title("Administration")
settings = Settings()
if not settings.service_url:
    st.info(
        "L'administration passe par le service de l'assistant : démarrez-le (« assistant serve ») "
        "et indiquez son adresse dans ASSISTANT_SERVICE_URL."
    )
    st.stop()

token = st.text_input("Jeton d'administration", type="password", key="admin-token")
if not token:
    st.caption("Saisissez le jeton (ASSISTANT_ADMIN_TOKEN du service) pour continuer.")
    st.stop()
http = httpx.Client(base_url=settings.service_url.rstrip("/"), timeout=60,
                    headers={"Authorization": f"Bearer {token}"})  # fmt: skip


def call(method: str, path: str, **kwargs: object) -> httpx.Response | None:
    """The response, or ``None`` after showing the error in French."""
    try:
        response = http.request(method, path, **kwargs)  # type: ignore[arg-type]
    except httpx.HTTPError as error:
        st.error(f"Le service est injoignable : {error}")
        return None
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        st.error(str(detail))
        return None
    return response


listing = call("GET", "/admin/documents")
if listing is None:
    st.stop()

st.subheader("Documents du corpus")
documents = listing.json()
st.dataframe(
    [{"nom": d["name"], "format": d["format"], "taille (Ko)": round(d["size_bytes"] / 1024, 1),
      "unités": d["units"], "indexé le": d["last_indexed"] or "pas encore"} for d in documents],
    hide_index=True, use_container_width=True,
)  # fmt: skip

upload = st.file_uploader("Ajouter un document", type=["md", "txt", "pdf", "docx", "html", "htm"])
if upload is not None and st.button("Envoyer le document"):
    sent = call("PUT", f"/admin/documents/{upload.name}", content=upload.getvalue())
    if sent is not None:
        st.success(f"Document {sent.json()['name']} ajouté : lancez une reconstruction.")

names = [d["name"] for d in documents]
removed = st.selectbox("Retirer un document", ["—", *names])
confirmed = removed != "—" and st.button(f"Retirer {removed}", type="secondary")
if confirmed and call("DELETE", f"/admin/documents/{removed}") is not None:
    st.success(f"{removed} retiré : lancez une reconstruction.")

st.subheader("Reconstruction de l'index")
if st.button("Reconstruire l'index", type="primary"):
    started = call("POST", "/admin/rebuild")
    if started is not None:
        st.session_state["admin-job"] = started.json()["id"]
job_id = st.session_state.get("admin-job")
if job_id:
    status = st.empty()
    while True:
        answer = call("GET", f"/jobs/{job_id}")
        if answer is None:
            break
        job = answer.json()
        with status.container():
            share = job["embedded"] / job["to_embed"] if job["to_embed"] else 0.0
            st.progress(
                min(share, 1.0), text=f"{job['stage']} ({job['embedded']}/{job['to_embed']})"
            )
            for skipped in job["skipped"]:
                st.warning(f"Fichier ignoré : {skipped['path']} — {skipped['reason']}")
            if job["state"] == "succeeded":
                st.success("Index reconstruit : le service l'utilise déjà.")
            elif job["state"] == "failed":
                st.error(
                    f"La reconstruction a échoué ; l'ancien index reste en service. {job['error']}"
                )
        if job["state"] in ("succeeded", "failed"):
            break
        time.sleep(1)  # the job's progress, polled once a second

st.subheader("Avis des utilisateurs")
export = call("GET", "/admin/feedback.csv")
if export is not None:
    st.download_button("Exporter les avis (CSV)", data=export.content,
                       file_name="avis-assistant-ess.csv", mime="text/csv")  # fmt: skip
