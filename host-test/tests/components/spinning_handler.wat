;; A `wasi:http` handler that computes forever: a loop that never reads,
;; writes or sends anything. `serve` must stop it (`--stall-timeout`).
(component
  (import "wasi:http/types@0.2.12" (instance $types
    (export "incoming-request" (type (sub resource)))
    (export "response-outparam" (type (sub resource)))
  ))
  (alias export $types "incoming-request" (type $request))
  (alias export $types "response-outparam" (type $response-out))
  (core module $spin
    (func (export "handle") (param i32 i32)
      (loop $forever (br $forever)))
  )
  (core instance $spin (instantiate $spin))
  (func $handle (param "request" (own $request)) (param "response-out" (own $response-out))
    (canon lift (core func $spin "handle")))
  (instance $handler (export "handle" (func $handle)))
  (export "wasi:http/incoming-handler@0.2.12" (instance $handler))
)
