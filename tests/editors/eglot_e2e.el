;;; eglot_e2e.el --- glm-lsp through eglot in emacs --batch  -*- lexical-binding: t; -*-
;; Run by test_eglot.py. Configures eglot exactly as the README (Editor set-up, Emacs) says (eglot-server-programs
;; with :initializationOptions), connects, and reads completions through
;; `eglot-completion-at-point'. Ends with "N check(s), M failure(s)".
(require 'eglot)
(require 'json)

(defvar glm-checks 0)
(defvar glm-failures 0)

(defun glm-say (fmt &rest args)
  (princ (concat (apply #'format fmt args) "\n")))

(defun glm-check (name ok &optional detail)
  (setq glm-checks (1+ glm-checks))
  (if ok
      (glm-say "ok   %s" name)
    (setq glm-failures (1+ glm-failures))
    (glm-say "FAIL %s: %S" name detail))
  ok)

(defun glm-finish ()
  (glm-say "%d check(s), %d failure(s)" glm-checks glm-failures)
  (kill-emacs (if (zerop glm-failures) 0 1)))

(defun glm-label (proxy)
  (plist-get (get-text-property 0 'eglot--lsp-item proxy) :label))

(condition-case err
    (let* ((cmd (append (json-parse-string (getenv "GLM_E2E_CMD") :array-type 'list) nil))
           (file (getenv "GLM_E2E_FILE"))
           (dot-line (string-to-number (getenv "GLM_E2E_DOT_LINE")))
           (members (split-string (or (getenv "GLM_E2E_MEMBERS") "") "," t))
           (settings (json-parse-string (getenv "GLM_E2E_SETTINGS") :object-type 'plist)))
      (setq eglot-server-programs
            `((python-mode . (,@cmd :initializationOptions ,settings))))
      (setq eglot-connect-timeout 60)
      (find-file file)
      (python-mode)
      ;; What `eglot-ensure' does on the first command (there are no commands in batch mode).
      (apply #'eglot--connect (eglot--guess-contact))
      (unless (glm-check "eglot connected" (eglot-current-server))
        (glm-finish))
      (goto-char (point-min))
      (forward-line dot-line)
      (end-of-line)
      (let* ((capf (eglot-completion-at-point))
             (table (nth 2 capf))
             (proxies (all-completions "" table))
             (server-order (mapcar #'glm-label proxies))
             (sorter (cdr (assq 'display-sort-function (cdr (funcall table "" nil 'metadata)))))
             (shown (mapcar #'glm-label (funcall sorter (copy-sequence proxies))))
             (missing (seq-remove (lambda (m) (member m server-order)) members)))
        (glm-check "completion-at-point lists the class members" (null missing)
                   (list :missing missing :got server-order))
        (glm-check "eglot shows the items in the server order"
                   (and shown (equal shown server-order))
                   (list :shown shown :server server-order))))
  (error (glm-check "driver ran without error" nil err)))
(ignore-errors (eglot-shutdown (eglot-current-server)))
(glm-finish)
