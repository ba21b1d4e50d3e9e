"""Independent builder of ENI remissions as other tools send them (lxml, signxml, cryptography):
none of GEE's exporter code is used, so the import is tested against the official shapes."""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner, methods
from signxml.xades import XAdESSigner

B = "http://administracionelectronica.gob.es/ENI/XSD/v1.0/"
NS = {
    "eniexp": B + "expediente-e", "eniexpind": B + "expediente-e/indice-e",
    "eniconexpind": B + "expediente-e/indice-e/contenido", "eniexpmeta": B + "expediente-e/metadatos",
    "enidoc": B + "documento-e", "enidocmeta": B + "documento-e/metadatos",
    "enifile": B + "documento-e/contenido", "enids": B + "firma", "ds": "http://www.w3.org/2000/09/xmldsig#",
}
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


def el(parent, tag, text=None, **attrs):
    prefix, name = tag.split(":")
    node = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", attrs) if parent is not None else \
        etree.Element(f"{{{NS[prefix]}}}{name}", attrs, nsmap={prefix: NS[prefix]})
    if text is not None:
        node.text = text
    return node


@dataclass
class Signer:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate


def make_signer(name: str = "Antiga Eina Segell") -> Signer:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    return Signer(key, cert)


def _cms_sha1(content: bytes, signer: Signer) -> bytes:
    """A legacy CMS attached signature with SHA-1 (cryptography refuses to make one), by hand."""
    from asn1crypto import algos, cms, tsp  # noqa: F401 - tsp before the names below: engine/eni/findings.py
    from asn1crypto import x509 as ax509
    from cryptography.hazmat.primitives.asymmetric import padding

    cert = ax509.Certificate.load(signer.cert.public_bytes(serialization.Encoding.DER))
    attrs = cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha1(content).digest()]}),
    ])
    signature = signer.key.sign(attrs.dump(), padding.PKCS1v15(), hashes.SHA1())
    info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
            {"issuer": cert.issuer, "serial_number": cert.serial_number})}),
        "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha1"}),
        "signed_attrs": attrs,
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}),
        "signature": signature,
    })
    signed = cms.SignedData({
        "version": "v1", "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha1"})],
        "encap_content_info": {"content_type": "data", "content": content},
        "certificates": [cert], "signer_infos": [info],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


def cades_attached(content: bytes, signer: Signer, algorithm=None) -> bytes:
    """A CAdES-BES attached signature (TF05), DER."""
    if isinstance(algorithm, hashes.SHA1):
        return _cms_sha1(content, signer)
    return (pkcs7.PKCS7SignatureBuilder().set_data(content)
            .add_signer(signer.cert, signer.key, algorithm or hashes.SHA256())
            .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))


class _StatedC14NXAdES(XAdESSigner):
    """Like the tools that state the exclusive canonicalisation of every reference."""

    def _add_reference_to_signed_info(self, sig_root, node_to_reference, **attrs):
        super()._add_reference_to_signed_info(sig_root, node_to_reference, **attrs)
        reference = sig_root.find(f"{{{NS['ds']}}}SignedInfo")[-1]
        transforms = etree.Element(f"{{{NS['ds']}}}Transforms")
        etree.SubElement(transforms, f"{{{NS['ds']}}}Transform", Algorithm=EXC_C14N)
        reference.insert(0, transforms)


def xades_detached(target, signer: Signer):
    return _StatedC14NXAdES(method=methods.detached, signature_algorithm="rsa-sha256", digest_algorithm="sha256",
                            c14n_algorithm=EXC_C14N).sign(target, key=signer.key, cert=[signer.cert],
                                                          reference_uri=[f"#{target.get('Id')}"])


def xades_enveloping(content: bytes, signer: Signer, sha1: bool = False):
    """A TF03 signature whose ds:Object holds the content in base64 (SHA-1 as legacy tools did)."""
    from signxml import DigestAlgorithm, SignatureMethod

    holder = etree.Element("Documento")
    holder.text = base64.b64encode(content).decode()
    xml_signer = XMLSigner(method=methods.enveloping, signature_algorithm="rsa-sha256", digest_algorithm="sha256",
                           c14n_algorithm=EXC_C14N)
    if sha1:  # signxml refuses to make SHA-1 signatures unless told after construction
        xml_signer.sign_alg, xml_signer.digest_alg = SignatureMethod.RSA_SHA1, DigestAlgorithm.SHA1
    return xml_signer.sign(holder.text.encode(), key=signer.key, cert=[signer.cert])


@dataclass
class Doc:
    identifier: str
    content: bytes
    form: str = "binary"  # binary, xml, tf05, tf05-firma, tf03, reference, reference-here
    tipo: str = "TD99"
    digest: str = "sha256"  # md5, sha1, sha256, sha384, sha512
    encoding: str = "base64"  # or hex
    folder: str | None = None  # CarpetaIndizada / ExpedienteIndizado it sits in ("carpeta:X", "sub:Y")
    signer: Signer | None = None
    cades_algorithm: object = None
    xml_sha1: bool = False
    extra_files: dict[str, bytes] = field(default_factory=dict)

    def digested_bytes(self) -> bytes:
        if self.form == "xml":
            return etree.tostring(etree.fromstring(self.content), method="c14n", exclusive=True)
        return self.content

    def huella(self) -> tuple[str, str]:
        raw = hashlib.new(self.digest, self.digested_bytes()).digest()
        value = raw.hex() if self.encoding == "hex" else base64.b64encode(raw).decode()
        return value, self.digest.upper()

    def element(self):
        root = el(None, "enidoc:documento")
        contenido = el(root, "enifile:contenido", Id="CONTENIDO_DOCUMENTO")
        firma_blob = None
        if self.form == "binary":
            el(contenido, "enifile:ValorBinario", base64.b64encode(self.content).decode())
        elif self.form == "xml":
            datos = el(contenido, "enifile:DatosXML")
            datos.append(etree.fromstring(self.content))
        elif self.form == "tf05":
            blob = cades_attached(self.content, self.signer, self.cades_algorithm)
            el(contenido, "enifile:ValorBinario", base64.b64encode(blob).decode())
        elif self.form == "tf05-firma":
            firma_blob = cades_attached(self.content, self.signer, self.cades_algorithm)
            el(contenido, "enifile:referenciaFichero", "#FIRMA_0")
        elif self.form == "tf03":
            datos = el(contenido, "enifile:DatosXML")
            datos.append(xades_enveloping(self.content, self.signer, self.xml_sha1))
        elif self.form.startswith("reference"):
            el(contenido, "enifile:referenciaFichero", f"contingut/{self.identifier}.pdf")
        el(contenido, "enifile:NombreFormato", "pdf")
        meta = el(root, "enidocmeta:metadatos")
        el(meta, "enidocmeta:VersionNTI", B + "documento-e")
        el(meta, "enidocmeta:Identificador", self.identifier)
        el(meta, "enidocmeta:Organo", "L01080193")
        el(meta, "enidocmeta:FechaCaptura", "2015-03-02T10:00:00+01:00")
        el(meta, "enidocmeta:OrigenCiudadanoAdministracion", "true")
        state = el(meta, "enidocmeta:EstadoElaboracion")
        el(state, "enidocmeta:ValorEstadoElaboracion", "EE01")
        el(meta, "enidocmeta:TipoDocumental", self.tipo)
        if self.form in ("tf05", "tf05-firma", "tf03"):
            firmas = el(root, "enids:firmas")
            firma = el(firmas, "enids:firma", Id="FIRMA_0")
            el(firma, "enids:TipoFirma", "TF03" if self.form == "tf03" else "TF05")
            holder = el(el(firma, "enids:ContenidoFirma"), "enids:FirmaConCertificado")
            if firma_blob is not None:
                el(holder, "enids:FirmaBase64", base64.b64encode(firma_blob).decode())
            else:
                el(holder, "enids:ReferenciaFirma", "#CONTENIDO_DOCUMENTO")
        return root


@dataclass
class Expedient:
    identifier: str
    documents: list[Doc]
    state: str = "E02"
    classification: str = "ANTIC-URB-001"
    signer: Signer | None = None

    def element(self):
        root = el(None, "eniexp:expediente")
        indice = el(root, "eniexpind:indice")
        contenido = el(indice, "eniexpind:IndiceContenido", Id="INDICE_CONTENIDO")
        el(contenido, "eniconexpind:FechaIndiceElectronico", "2015-06-01T09:00:00+02:00")
        containers: dict[str, object] = {}
        for order, doc in enumerate(self.documents, start=1):
            parent = contenido
            # folder: "carpeta:NAME", "sub:ANY" (a subexpedient without Id) or "expediente:ID", nested with "/"
            key = ""
            for step in (doc.folder or "").split("/") if doc.folder else []:
                key = f"{key}/{step}"
                if key not in containers:
                    kind, name = step.split(":")
                    if kind == "carpeta":
                        box = el(parent, "eniconexpind:CarpetaIndizada")
                        el(box, "eniconexpind:IdentificadorCarpeta", name)
                    else:
                        box = el(parent, "eniconexpind:ExpedienteIndizado", **({"Id": name} if kind == "expediente"
                                                                                else {}))
                        el(box, "eniconexpind:FechaIndiceElectronico", "2015-05-01T09:00:00+02:00")
                    containers[key] = box
                parent = containers[key]
            item = el(parent, "eniconexpind:DocumentoIndizado")
            value, function = doc.huella()
            el(item, "eniconexpind:IdentificadorDocumento", doc.identifier)
            el(item, "eniconexpind:ValorHuella", value)
            el(item, "eniconexpind:FuncionResumen", function)
            el(item, "eniconexpind:FechaIncorporacionExpediente", "2015-03-02T10:00:00+01:00")
            el(item, "eniconexpind:OrdenDocumentoExpediente", str(order))
        firmas = el(indice, "enids:firmas")
        firma = el(firmas, "enids:firma", Id="FIRMA_INDICE")
        el(firma, "enids:TipoFirma", "TF02")
        holder = el(el(firma, "enids:ContenidoFirma"), "enids:FirmaConCertificado")
        if self.signer is not None:
            holder.append(xades_detached(contenido, self.signer))
        else:
            el(holder, "enids:ReferenciaFirma", "#INDICE_CONTENIDO")
        meta = el(root, "eniexpmeta:metadatosExp")
        el(meta, "eniexpmeta:VersionNTI", B + "expediente-e")
        el(meta, "eniexpmeta:Identificador", self.identifier)
        el(meta, "eniexpmeta:Organo", "L01080193")
        el(meta, "eniexpmeta:FechaAperturaExpediente", "2015-03-01T09:00:00+01:00")
        el(meta, "eniexpmeta:Clasificacion", self.classification)
        el(meta, "eniexpmeta:Estado", self.state)
        el(meta, "eniexpmeta:Interesado", "12345678Z")
        return root

    def files(self) -> dict[str, bytes]:
        """The remission: the expediente file and one file per documento, names as a tool picks them."""
        out = {"EXP_index.xml": etree.tostring(self.element(), xml_declaration=True, encoding="UTF-8")}
        for n, doc in enumerate(self.documents, start=1):
            out[f"doc{n:03d}_{doc.tipo}.xml"] = etree.tostring(doc.element(), xml_declaration=True, encoding="UTF-8")
            if doc.form == "reference-here":
                out[f"contingut/{doc.identifier}.pdf"] = doc.content
        return out

    def write(self, folder: Path) -> Path:
        for name, data in self.files().items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        return folder

    def zip(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in self.files().items():
                archive.writestr(name, data)
        return buffer.getvalue()

    def single_file(self) -> bytes:
        """Everything in one XML file (documents sharing Id="CONTENIDO_DOCUMENTO")."""
        wrapper = etree.Element("remesa")
        wrapper.append(self.element())
        for doc in self.documents:
            wrapper.append(doc.element())
        return etree.tostring(wrapper, xml_declaration=True, encoding="UTF-8")
